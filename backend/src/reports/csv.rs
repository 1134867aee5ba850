//! A report as CSV (RFC 4180: comma-separated, CRLF line ends, fields quoted when they
//! hold a comma, a quote or a line break), in the layout a spreadsheet user expects: one
//! tidy table per [`Table`], a header row then one row per item. Asked for one table,
//! the file is exactly that table (ready for a pivot table or an import); asked for the
//! whole report, the file holds every table in turn, each under a row naming it and
//! separated by an empty row, which a spreadsheet shows as labelled blocks.
//!
//! Times are RFC 3339 (UTC), dates `YYYY-MM-DD`, an absent value an empty field. A text
//! field that a spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`, a
//! tab or a carriage return) is prefixed with `'`.

use super::{date_text, Report, SEVERITIES};
use crate::http::timestamp;

/// One table of a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// One row per cluster: score and grade at the end, at the start, the change, open
    /// findings by severity, new and resolved in the period.
    Clusters,
    /// One row per point of each cluster's score series.
    Scores,
    /// New and resolved findings per ISO week.
    Weeks,
    /// Mean time to resolve per severity.
    TimeToResolve,
    /// The rules failing most at the period's end.
    TopRules,
    /// The oldest critical findings open at the period's end.
    OldestCritical,
    /// One row per cluster, framework and control: its status at the period's end and at
    /// its start, and how many findings are its evidence.
    Compliance,
    /// One row per finding shown as a failing control's evidence (at most
    /// [`super::EVIDENCE_PER_CONTROL`] per control; the compliance table counts the rest).
    ComplianceEvidence,
    /// One row per cluster, framework and point of the score series: the controls' counts.
    ComplianceTrend,
}

impl Table {
    pub const ALL: [Table; 9] = [
        Table::Clusters,
        Table::Scores,
        Table::Weeks,
        Table::TimeToResolve,
        Table::TopRules,
        Table::OldestCritical,
        Table::Compliance,
        Table::ComplianceEvidence,
        Table::ComplianceTrend,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Table::Clusters => "clusters",
            Table::Scores => "scores",
            Table::Weeks => "weeks",
            Table::TimeToResolve => "time_to_resolve",
            Table::TopRules => "top_rules",
            Table::OldestCritical => "oldest_critical",
            Table::Compliance => "compliance",
            Table::ComplianceEvidence => "compliance_evidence",
            Table::ComplianceTrend => "compliance_trend",
        }
    }

    pub fn parse(text: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|table| table.as_str() == text)
    }
}

/// A cell: text (quoted as needed, guarded against formulas) or a number.
pub(crate) enum Cell {
    Text(String),
    Number(String),
    Empty,
}

pub(crate) fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

pub(crate) fn number(value: impl ToString) -> Cell {
    Cell::Number(value.to_string())
}

fn optional<T: ToString>(value: Option<T>) -> Cell {
    value.map_or(Cell::Empty, number)
}

pub(crate) fn write_row(out: &mut String, cells: &[Cell]) {
    for (index, cell) in cells.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        match cell {
            Cell::Empty => {}
            Cell::Number(value) => out.push_str(value),
            Cell::Text(value) => {
                let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    format!("'{value}")
                } else {
                    value.clone()
                };
                if guarded.contains([',', '"', '\n', '\r']) {
                    out.push('"');
                    out.push_str(&guarded.replace('"', "\"\""));
                    out.push('"');
                } else {
                    out.push_str(&guarded);
                }
            }
        }
    }
    out.push_str("\r\n");
}

pub(crate) fn header(out: &mut String, names: &[&str]) {
    write_row(out, &names.iter().map(|name| text(*name)).collect::<Vec<_>>());
}

/// One table: its header and rows.
pub fn table(report: &Report, table: Table) -> String {
    let mut out = String::new();
    match table {
        Table::Clusters => {
            header(
                &mut out,
                &[
                    "cluster_id",
                    "cluster",
                    "team",
                    "score",
                    "grade",
                    "score_at_start",
                    "change",
                    "critical",
                    "high",
                    "medium",
                    "low",
                    "info",
                    "new",
                    "opened_and_resolved",
                    "resolved",
                    "scans",
                    "last_scan_at",
                ],
            );
            for cluster in &report.clusters {
                let end = cluster.end.as_ref();
                let mut row = vec![
                    number(cluster.cluster.id),
                    text(&cluster.cluster.name),
                    text(&cluster.cluster.team),
                    optional(end.map(|end| end.score)),
                    end.map_or(Cell::Empty, |end| text(&end.grade)),
                    optional(cluster.start.as_ref().map(|start| start.score)),
                    optional(cluster.change()),
                ];
                row.extend((0..SEVERITIES.len()).map(|index| optional(end.map(|end| end.counts[index]))));
                row.extend([
                    number(cluster.new_findings),
                    number(cluster.churned_findings),
                    number(cluster.resolved_findings),
                    number(cluster.scans),
                    end.map_or(Cell::Empty, |end| text(timestamp(end.at))),
                ]);
                write_row(&mut out, &row);
            }
        }
        Table::Scores => {
            header(&mut out, &["cluster_id", "cluster", "scan", "at", "score", "grade"]);
            for cluster in &report.clusters {
                for point in &cluster.points {
                    write_row(
                        &mut out,
                        &[
                            number(cluster.cluster.id),
                            text(&cluster.cluster.name),
                            number(point.scan),
                            text(timestamp(point.at)),
                            number(point.score),
                            text(&point.grade),
                        ],
                    );
                }
            }
        }
        Table::Weeks => {
            header(&mut out, &["week", "starts", "new", "opened_and_resolved", "resolved"]);
            for week in &report.weeks {
                write_row(
                    &mut out,
                    &[
                        text(week.label()),
                        text(date_text(week.starts)),
                        number(week.new_findings),
                        number(week.churned_findings),
                        number(week.resolved_findings),
                    ],
                );
            }
        }
        Table::TimeToResolve => {
            header(&mut out, &["severity", "resolved", "mean_seconds", "mean_days"]);
            for time in &report.time_to_resolve {
                write_row(
                    &mut out,
                    &[
                        text(time.severity),
                        number(time.resolved),
                        optional(time.mean_seconds()),
                        optional(time.mean_days().map(|days| format!("{days:.2}"))),
                    ],
                );
            }
        }
        Table::TopRules => {
            header(&mut out, &["rank", "rule", "severity", "open", "clusters"]);
            for (rank, rule) in report.top_rules.iter().enumerate() {
                write_row(
                    &mut out,
                    &[
                        number(rank + 1),
                        text(&rule.rule),
                        text(&rule.severity),
                        number(rule.findings),
                        number(rule.clusters),
                    ],
                );
            }
        }
        Table::OldestCritical => {
            header(
                &mut out,
                &[
                    "finding_id",
                    "cluster_id",
                    "cluster",
                    "kind",
                    "namespace",
                    "name",
                    "rule",
                    "path",
                    "first_seen",
                    "age_days",
                    "message",
                ],
            );
            for finding in &report.oldest_critical {
                write_row(
                    &mut out,
                    &[
                        number(finding.id),
                        number(finding.cluster_id),
                        text(&finding.cluster),
                        text(&finding.kind),
                        text(&finding.namespace),
                        text(&finding.name),
                        text(&finding.rule),
                        text(&finding.path),
                        text(timestamp(finding.first_seen)),
                        number(report.age_days(finding)),
                        text(&finding.message),
                    ],
                );
            }
        }
        Table::Compliance => {
            header(
                &mut out,
                &[
                    "cluster_id",
                    "cluster",
                    "team",
                    "framework",
                    "control",
                    "title",
                    "status",
                    "failed_rules",
                    "findings",
                    "scan",
                    "status_at_start",
                    "evidence_open",
                    "evidence_shown",
                    "evidence_more",
                ],
            );
            for cluster in &report.clusters {
                for summary in &cluster.compliance {
                    for control in &summary.view.controls {
                        let evidence = cluster.evidence(control);
                        write_row(
                            &mut out,
                            &[
                                number(cluster.cluster.id),
                                text(&cluster.cluster.name),
                                text(&cluster.cluster.team),
                                text(summary.view.framework.as_str()),
                                text(&control.id),
                                text(&control.title),
                                text(control.status.as_str()),
                                text(control.failed_rules.join(" ")),
                                number(control.findings),
                                number(summary.scan),
                                summary
                                    .status_at_start(&control.id)
                                    .map_or(Cell::Empty, |status| text(status.as_str())),
                                number(evidence.open()),
                                number(evidence.findings().count()),
                                number(evidence.more()),
                            ],
                        );
                    }
                }
            }
        }
        Table::ComplianceEvidence => {
            header(
                &mut out,
                &[
                    "cluster_id",
                    "cluster",
                    "framework",
                    "control",
                    "rule",
                    "severity",
                    "finding_id",
                    "kind",
                    "namespace",
                    "name",
                    "path",
                    "message",
                ],
            );
            for cluster in &report.clusters {
                for summary in &cluster.compliance {
                    for control in &summary.view.controls {
                        for finding in cluster.evidence(control).findings() {
                            write_row(
                                &mut out,
                                &[
                                    number(cluster.cluster.id),
                                    text(&cluster.cluster.name),
                                    text(summary.view.framework.as_str()),
                                    text(&control.id),
                                    text(&finding.rule),
                                    text(&finding.severity),
                                    number(finding.id),
                                    text(&finding.kind),
                                    text(&finding.namespace),
                                    text(&finding.name),
                                    text(&finding.path),
                                    text(&finding.message),
                                ],
                            );
                        }
                    }
                }
            }
        }
        Table::ComplianceTrend => {
            header(&mut out, &["cluster_id", "cluster", "framework", "scan", "at", "pass", "fail", "not_assessed"]);
            for cluster in &report.clusters {
                for summary in &cluster.compliance {
                    for (scan, at, counts) in &summary.trend {
                        write_row(
                            &mut out,
                            &[
                                number(cluster.cluster.id),
                                text(&cluster.cluster.name),
                                text(summary.view.framework.as_str()),
                                number(scan),
                                text(timestamp(*at)),
                                number(counts.pass),
                                number(counts.fail),
                                number(counts.not_assessed),
                            ],
                        );
                    }
                }
            }
        }
    }
    out
}

/// Every table, each under a row with its name, separated by empty rows.
pub fn all_tables(report: &Report) -> String {
    let mut out = String::new();
    for (index, which) in Table::ALL.into_iter().enumerate() {
        if index > 0 {
            out.push_str("\r\n");
        }
        write_row(&mut out, &[text(which.as_str())]);
        out.push_str(&table(report, which));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[Cell]) -> String {
        let mut out = String::new();
        write_row(&mut out, cells);
        out
    }

    #[test]
    fn fields_are_quoted_and_guarded() {
        assert_eq!(row(&[text("plain"), number(-3), Cell::Empty, text("a,b")]), "plain,-3,,\"a,b\"\r\n");
        assert_eq!(row(&[text("say \"hi\"\nbye")]), "\"say \"\"hi\"\"\nbye\"\r\n");
        assert_eq!(row(&[text("=HYPERLINK(\"x\")"), text("-1"), text("@a")]), "\"'=HYPERLINK(\"\"x\"\")\",'-1,'@a\r\n");
    }

    #[test]
    fn tables_have_stable_names() {
        for table in Table::ALL {
            assert_eq!(Table::parse(table.as_str()), Some(table));
        }
        assert_eq!(Table::parse("everything"), None);
    }
}
