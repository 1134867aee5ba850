//! What an email says: a digest (per cluster: score and grade with the change over the
//! period, new critical and high findings with a line of remediation each, how many were
//! resolved, scans that failed or were partial) or an alert (the critical findings one scan
//! opened), read from the store and rendered by askama templates (`templates/mail/`) as
//! HTML and as plain text. The HTML uses inline styles and tables only: no scripts, no
//! images, no stylesheets, which common mail clients strip or block.

use askama::Template;

use super::period::{utc, Period};
use super::Mail;
use crate::store::mail::{CoveredCluster, Frequency, MailFinding, Subscription, TroubledScan};
use crate::store::routing::NamespaceRoute;
use crate::store::Store;

/// Whom a digest or an alert is for: the clusters it covers, the namespaces it hears of,
/// and what its heading and links say. An email subscription's or a webhook's.
#[derive(Clone, Debug)]
pub struct Audience {
    pub clusters: Vec<CoveredCluster>,
    pub route: NamespaceRoute,
    pub frequency: Frequency,
    /// What it covers, in words: `the clusters of team red`.
    pub covers: String,
    pub unsubscribe_url: String,
}

impl Audience {
    /// A subscription's audience: the clusters its owner may still see.
    pub async fn of_subscription(
        store: &Store,
        mail: &Mail,
        subscription: &Subscription,
    ) -> Result<Audience, sqlx::Error> {
        let covers = match &subscription.team {
            Some((_, team)) => format!("the clusters of team {team}"),
            None => "the clusters you chose".to_string(),
        };
        Ok(Audience {
            clusters: store.covered_clusters(subscription).await?,
            route: subscription.route.clone(),
            frequency: subscription.frequency,
            covers: covers + &route_words(&subscription.route),
            unsubscribe_url: mail.unsubscribe_url(subscription.id),
        })
    }
}

/// What a route limits to, in words, to follow what is covered (`""` for every namespace).
pub fn route_words(route: &NamespaceRoute) -> String {
    match route {
        NamespaceRoute::All => String::new(),
        NamespaceRoute::Names(names) => format!(", namespaces {}", names.join(", ")),
        NamespaceRoute::Selector(selector) => format!(", namespaces labelled {selector}"),
    }
}

/// Findings listed per cluster; the rest are counted, with a link to the dashboard.
pub const FINDINGS_LISTED: i64 = 20;

/// Findings an alert reads at most (it lists [`FINDINGS_LISTED`] and counts the rest).
const ALERT_FINDINGS_READ: i64 = 1000;

/// An email ready for the outbox.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// A finding as an email shows it.
#[derive(Clone, Debug)]
pub struct FindingView {
    pub severity: String,
    pub object: String,
    pub rule: String,
    pub title: String,
    pub message: String,
    pub remediation: String,
}

impl FindingView {
    fn new(finding: &MailFinding) -> FindingView {
        let rule = rampart_core::rules::find(&finding.rule);
        let object = if finding.namespace.is_empty() {
            format!("{} {}", finding.kind, finding.name)
        } else {
            format!("{} {}/{}", finding.kind, finding.namespace, finding.name)
        };
        FindingView {
            severity: finding.severity.clone(),
            object,
            rule: finding.rule.clone(),
            title: rule.map(|rule| rule.title.to_string()).unwrap_or_default(),
            message: finding.message.clone(),
            remediation: rule.map(|rule| rule.remediation.to_string()).unwrap_or_default(),
        }
    }

    /// The badge colour of the severity (white text on it).
    pub fn color(&self) -> &'static str {
        severity_color(&self.severity)
    }
}

fn severity_color(severity: &str) -> &'static str {
    match severity {
        "critical" => "#b91c1c",
        "high" => "#c2410c",
        "medium" => "#a16207",
        "low" => "#1d4ed8",
        _ => "#4b5563",
    }
}

/// A scan that failed or was partial, as an email shows it.
#[derive(Clone, Debug)]
pub struct ScanView {
    pub id: i64,
    pub status: String,
    pub when: String,
    pub detail: String,
}

impl ScanView {
    fn new(scan: &TroubledScan) -> ScanView {
        let mut detail = scan.message.clone().unwrap_or_default();
        if detail.is_empty() {
            detail = scan
                .errors
                .iter()
                .take(3)
                .map(|error| match &error.kind {
                    Some(kind) => format!("{kind}: {}", error.message),
                    None => error.message.clone(),
                })
                .collect::<Vec<_>>()
                .join("; ");
            if scan.errors.len() > 3 {
                detail.push_str(&format!("; and {} more", scan.errors.len() - 3));
            }
        }
        ScanView {
            id: scan.id,
            status: scan.status.clone(),
            when: scan.finished_at.map(utc).unwrap_or_default(),
            detail,
        }
    }
}

/// One cluster's part of a digest.
#[derive(Clone, Debug)]
pub struct ClusterView {
    pub name: String,
    pub team: String,
    pub url: String,
    /// `None`: no results by the end of the period.
    pub score: Option<i64>,
    pub grade: String,
    /// The score's change since the start of the period, as shown (`+5 in this period`),
    /// or what stands in for it (`first results`, `no scan in this period`).
    pub change: String,
    pub change_color: &'static str,
    /// Open findings at the end of the period, by severity (critical … info).
    pub counts: [i64; 5],
    pub new_critical: i64,
    pub new_high: i64,
    pub new_findings: Vec<FindingView>,
    /// New findings not listed.
    pub more_findings: i64,
    pub resolved: i64,
    /// Findings of any severity first seen and resolved within the period (not news).
    pub churned: i64,
    pub troubled_scans: Vec<ScanView>,
}

/// The whole digest.
#[derive(Clone, Debug)]
pub struct DigestView {
    pub heading: String,
    pub period: String,
    pub dashboard_url: String,
    pub unsubscribe_url: String,
    pub covers: String,
    pub clusters: Vec<ClusterView>,
    pub new_critical: i64,
    pub new_high: i64,
    pub resolved: i64,
    pub churned: i64,
}

#[derive(Template)]
#[template(path = "mail/digest.html")]
struct DigestHtml<'a> {
    digest: &'a DigestView,
}

#[derive(Template)]
#[template(path = "mail/digest.txt")]
struct DigestText<'a> {
    digest: &'a DigestView,
}

/// The alert about one scan's new critical findings.
#[derive(Clone, Debug)]
pub struct AlertView {
    pub cluster: String,
    pub team: String,
    pub cluster_url: String,
    pub scan_id: i64,
    pub findings: Vec<FindingView>,
    pub more_findings: i64,
    pub unsubscribe_url: String,
}

#[derive(Template)]
#[template(path = "mail/alert.html")]
struct AlertHtml<'a> {
    alert: &'a AlertView,
}

#[derive(Template)]
#[template(path = "mail/alert.txt")]
struct AlertText<'a> {
    alert: &'a AlertView,
}

fn plural(count: i64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// Reads a digest for a period from the store. Scores are the clusters'; new and resolved
/// findings are those of the audience's namespaces.
pub async fn digest_view(
    store: &Store,
    mail: &Mail,
    audience: &Audience,
    period: &Period,
) -> Result<DigestView, sqlx::Error> {
    let mut views = Vec::with_capacity(audience.clusters.len());
    for cluster in &audience.clusters {
        let namespaces = store.routed_namespaces(cluster.id, &audience.route).await?;
        views.push(cluster_view(store, mail, cluster, period, namespaces.as_deref()).await?);
    }
    let heading = match (period.key.as_str(), audience.frequency) {
        ("manual", _) => "Rampart digest".to_string(),
        (_, Frequency::Weekly) => "Rampart weekly digest".to_string(),
        _ => "Rampart daily digest".to_string(),
    };
    Ok(DigestView {
        heading,
        period: format!("{} to {}", utc(period.start), utc(period.end)),
        dashboard_url: mail.dashboard_url(),
        unsubscribe_url: audience.unsubscribe_url.clone(),
        covers: audience.covers.clone(),
        new_critical: views.iter().map(|view| view.new_critical).sum(),
        new_high: views.iter().map(|view| view.new_high).sum(),
        resolved: views.iter().map(|view| view.resolved).sum(),
        churned: views.iter().map(|view| view.churned).sum(),
        clusters: views,
    })
}

async fn cluster_view(
    store: &Store,
    mail: &Mail,
    cluster: &CoveredCluster,
    period: &Period,
    namespaces: Option<&[String]>,
) -> Result<ClusterView, sqlx::Error> {
    let current = store.latest_result_before(cluster.id, period.end).await?;
    let baseline = store.latest_result_before(cluster.id, period.start).await?;
    let (change, change_color) = match (&current, &baseline) {
        (None, _) => ("no results yet".to_string(), "#4b5563"),
        (Some(current), Some(baseline)) if current.scan_id == baseline.scan_id => {
            ("no scan in this period".to_string(), "#4b5563")
        }
        (Some(current), Some(baseline)) => match (current.score, baseline.score) {
            (Some(now), Some(then)) if now > then => (format!("+{} in this period", now - then), "#15803d"),
            (Some(now), Some(then)) if now < then => (format!("-{} in this period", then - now), "#b91c1c"),
            _ => ("no change in this period".to_string(), "#4b5563"),
        },
        (Some(_), None) => ("first results".to_string(), "#4b5563"),
    };
    let (new_critical, new_high) =
        store.count_new_serious_findings(cluster.id, period.start, period.end, namespaces).await?;
    let new_findings =
        store.new_serious_findings(cluster.id, period.start, period.end, FINDINGS_LISTED, namespaces).await?;
    let troubled = store.troubled_scans(cluster.id, period.start, period.end).await?;
    Ok(ClusterView {
        name: cluster.name.clone(),
        team: cluster.team.clone(),
        url: mail.cluster_url(cluster.id),
        score: current.as_ref().and_then(|current| current.score),
        grade: current.as_ref().and_then(|current| current.grade.clone()).unwrap_or_default(),
        change,
        change_color,
        counts: current.as_ref().map(|current| current.counts).unwrap_or_default(),
        new_critical,
        new_high,
        more_findings: (new_critical + new_high - new_findings.len() as i64).max(0),
        new_findings: new_findings.iter().map(FindingView::new).collect(),
        resolved: store.count_resolved_findings(cluster.id, period.start, period.end, namespaces).await?,
        churned: store.count_churned_findings(cluster.id, period.start, period.end, namespaces).await?,
        troubled_scans: troubled.iter().map(ScanView::new).collect(),
    })
}

/// Renders a digest as an email.
pub fn render_digest(digest: &DigestView) -> Result<Rendered, askama::Error> {
    let subject = digest_subject(digest);
    Ok(Rendered { subject, html: DigestHtml { digest }.render()?, text: DigestText { digest }.render()? })
}

/// A digest's subject line (a webhook's title).
pub fn digest_subject(digest: &DigestView) -> String {
    let mut subject = format!("{}: {}", digest.heading, plural(digest.clusters.len() as i64, "cluster", "clusters"));
    if digest.new_critical > 0 {
        subject.push_str(&format!(", {} new critical", digest.new_critical));
    }
    if digest.new_high > 0 {
        subject.push_str(&format!(", {} new high", digest.new_high));
    }
    if digest.resolved > 0 {
        subject.push_str(&format!(", {} resolved", digest.resolved));
    }
    subject
}

/// The alert for a scan that opened critical findings in the audience's namespaces; `None`
/// when it opened none there.
pub async fn alert_view(
    store: &Store,
    mail: &Mail,
    audience: &Audience,
    cluster: &CoveredCluster,
    scan_id: i64,
) -> Result<Option<AlertView>, sqlx::Error> {
    let namespaces = store.routed_namespaces(cluster.id, &audience.route).await?;
    let findings =
        store.new_critical_findings_of_scan(cluster.id, scan_id, ALERT_FINDINGS_READ, namespaces.as_deref()).await?;
    if findings.is_empty() {
        return Ok(None);
    }
    let more_findings = (findings.len() as i64 - FINDINGS_LISTED).max(0);
    Ok(Some(AlertView {
        cluster: cluster.name.clone(),
        team: cluster.team.clone(),
        cluster_url: mail.cluster_url(cluster.id),
        scan_id,
        findings: findings.iter().take(FINDINGS_LISTED as usize).map(FindingView::new).collect(),
        more_findings,
        unsubscribe_url: audience.unsubscribe_url.clone(),
    }))
}

/// An alert's subject line (a webhook's title).
pub fn alert_subject(alert: &AlertView) -> String {
    let count = alert.findings.len() as i64 + alert.more_findings;
    format!(
        "Rampart alert: {} in cluster {}",
        plural(count, "new critical finding", "new critical findings"),
        alert.cluster
    )
}

/// Renders an alert as an email.
pub fn render_alert(alert: &AlertView) -> Result<Rendered, askama::Error> {
    let subject = alert_subject(alert);
    Ok(Rendered { subject, html: AlertHtml { alert }.render()?, text: AlertText { alert }.render()? })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: &str, rule: &str) -> FindingView {
        FindingView::new(&MailFinding {
            rule: rule.to_string(),
            severity: severity.to_string(),
            kind: "Deployment".to_string(),
            namespace: "prod".to_string(),
            name: "web<1>".to_string(),
            message: "container \"app\" runs privileged".to_string(),
        })
    }

    fn digest() -> DigestView {
        DigestView {
            heading: "Rampart daily digest".into(),
            period: "2026-01-27 08:00 UTC to 2026-01-28 08:00 UTC".into(),
            dashboard_url: "https://rampart.example/clusters".into(),
            unsubscribe_url: "https://rampart.example/unsubscribe?token=1.ab".into(),
            covers: "the clusters of team red".into(),
            clusters: vec![
                ClusterView {
                    name: "prod & co".into(),
                    team: "red".into(),
                    url: "https://rampart.example/clusters/1".into(),
                    score: Some(72),
                    grade: "C".into(),
                    change: "-5 in this period".into(),
                    change_color: "#b91c1c",
                    counts: [1, 2, 3, 4, 5],
                    new_critical: 1,
                    new_high: 21,
                    new_findings: vec![finding("critical", "pss-privileged"), finding("high", "no-such-rule")],
                    more_findings: 20,
                    resolved: 3,
                    churned: 2,
                    troubled_scans: vec![ScanView {
                        id: 9,
                        status: "partial".into(),
                        when: "2026-01-27 10:00 UTC".into(),
                        detail: "CronJob: forbidden".into(),
                    }],
                },
                ClusterView {
                    name: "staging".into(),
                    team: "red".into(),
                    url: "https://rampart.example/clusters/2".into(),
                    score: None,
                    grade: String::new(),
                    change: "no results yet".into(),
                    change_color: "#4b5563",
                    counts: [0; 5],
                    new_critical: 0,
                    new_high: 0,
                    new_findings: Vec::new(),
                    more_findings: 0,
                    resolved: 0,
                    churned: 0,
                    troubled_scans: Vec::new(),
                },
            ],
            new_critical: 1,
            new_high: 21,
            resolved: 3,
            churned: 2,
        }
    }

    #[test]
    fn digests_render_as_html_and_text() {
        let rendered = render_digest(&digest()).unwrap();
        assert_eq!(rendered.subject, "Rampart daily digest: 2 clusters, 1 new critical, 21 new high, 3 resolved");
        let html = &rendered.html;
        // Names are escaped; the rule's remediation comes from the engine's metadata.
        assert!(html.contains("prod &#38; co") || html.contains("prod &amp; co"), "{html}");
        assert!(html.contains("web&#60;1&#62;") || html.contains("web&lt;1&gt;"), "{html}");
        let remediation = rampart_core::rules::find("pss-privileged").unwrap().remediation;
        assert!(!remediation.is_empty());
        for text in ["pss-privileged", ">72<", "-5", "and 20 more", "Scan 9 partial", "not scanned", "Unsubscribe"] {
            assert!(html.contains(text), "{text} in {html}");
        }
        assert!(html.contains("https://rampart.example/unsubscribe?token=1.ab"), "{html}");
        assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<link"), "{html}");

        let text = &rendered.text;
        for expected in [
            "== prod & co (team red) ==",
            "Score 72 C (-5 in this period)",
            "[critical] Deployment prod/web<1> - pss-privileged",
            &format!("Fix: {remediation}"),
            "and 20 more",
            "Scan 9 partial at 2026-01-27 10:00 UTC: CronJob: forbidden",
            "Resolved: 3. Opened and resolved within the period: 2",
            "; 2 opened and resolved within the period",
            "== staging (team red) ==\nNot scanned (no results yet)\nNew: 0 critical",
            "Details: https://rampart.example/clusters/1",
            "Unsubscribe: https://rampart.example/unsubscribe?token=1.ab",
        ] {
            assert!(text.contains(expected), "{expected:?} in\n{text}");
        }
        // An unknown rule has no remediation line rather than an empty one.
        assert!(!text.contains("Fix: \n"), "{text}");
    }

    #[test]
    fn alerts_render_as_html_and_text() {
        let alert = AlertView {
            cluster: "prod".into(),
            team: "red".into(),
            cluster_url: "https://rampart.example/clusters/1".into(),
            scan_id: 4,
            findings: vec![finding("critical", "pss-privileged")],
            more_findings: 0,
            unsubscribe_url: "https://rampart.example/unsubscribe?token=1.ab".into(),
        };
        let rendered = render_alert(&alert).unwrap();
        assert_eq!(rendered.subject, "Rampart alert: 1 new critical finding in cluster prod");
        assert!(rendered.html.contains("pss-privileged") && rendered.html.contains("token=1.ab"));
        assert!(rendered.text.contains("[critical] Deployment prod/web<1> - pss-privileged"), "{}", rendered.text);
        assert!(rendered.text.contains("Unsubscribe: https://rampart.example/unsubscribe?token=1.ab"));
    }
}
