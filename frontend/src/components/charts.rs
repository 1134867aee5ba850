//! The dashboard's charts as SVG elements: a cluster row's sparkline, a cluster's score
//! trend (each point a button that opens its scan) and its findings by severity over time;
//! for reports, the scores of several clusters over a period and the new and resolved
//! findings of each week.
//! The geometry is [`crate::charts`]; colours come from the stylesheet's severity and
//! accent variables, so the charts follow light and dark mode.

use leptos::prelude::*;
use rampart_core::score::grade;

use crate::api::{Counts, ReportCluster, ReportWeek, TrendPoint};
use crate::charts::{self, Frame};
use crate::dashboard::scored_points;
use crate::time::{format_day, format_utc, parse_rfc3339};

/// At most this many points or bars are drawn; beyond, each slice of the range shows the
/// state it ended in.
const MAX_MARKS: usize = 180;

/// A row's 30-day score line (120 × 28), with a text alternative.
#[component]
pub fn Sparkline(points: Vec<TrendPoint>, from: i64, to: i64) -> impl IntoView {
    let scored: Vec<(i64, i64)> = scored_points(&points).into_iter().map(|(at, score, _)| (at, score)).collect();
    let scored = charts::thin(&scored, |(at, _)| *at, from, to, MAX_MARKS);
    let label = match (scored.first(), scored.last()) {
        (Some(first), Some(last)) if scored.len() > 1 => {
            format!("Score over 30 days: {} scans, from {} to {}", scored.len(), first.1, last.1)
        }
        (Some(only), _) => format!("Score over 30 days: one scan, {}", only.1),
        _ => "No scan in the last 30 days".to_string(),
    };
    let path = charts::sparkline(&scored, from, to, 120.0, 28.0);
    let last = scored.last().map(|&(at, score)| {
        let frame = Frame { width: 120.0, height: 28.0, left: 1.0, right: 1.0, top: 1.5, bottom: 1.5 };
        (charts::round(frame.x(at, from, to)), charts::round(frame.y(score as f64, 100.0)))
    });
    let title = label.clone();
    view! {
        <svg class="sparkline" viewBox="0 0 120 28" width="120" height="28" role="img" aria-label=label>
            <title>{title}</title>
            <line class="spark-base" x1="0" x2="120" y1="14" y2="14"></line>
            <path class="spark-line" d=path></path>
            {last.map(|(x, y)| view! { <circle class="spark-dot" cx=x cy=y r="2.5"></circle> })}
        </svg>
    }
}

/// The frame of the cluster page's and the report's charts. The right margin holds the
/// trend's grade letters, outside the plot, where no point or label of the plot can cover
/// them.
const TREND: Frame = Frame { width: 720.0, height: 240.0, left: 34.0, right: 24.0, top: 12.0, bottom: 26.0 };

/// The point the trend draws for a day: the day's last scan (the state the day ended in),
/// with how many scans the day had and their lowest score.
#[derive(Clone)]
struct DayPoint {
    at: i64,
    score: i64,
    point: TrendPoint,
    scans: usize,
    lowest: i64,
    /// A change of policies or of the score formula at one of the day's scans (the last
    /// such): the scan and what changed.
    change: Option<(i64, String)>,
}

/// What changed at a scan: the team's policies, the score formula, or both.
fn change_at(point: &TrendPoint) -> Option<String> {
    let policy_change = point.policy_change.as_ref().map(|change| change.describe());
    // A new score formula is marked like a change of policies: the jump is the formula's,
    // not the cluster's.
    let formula_change = point.formula_change.then(|| {
        format!("Score formula v{} from this scan: scores before it are not comparable", point.formula_version)
    });
    match (policy_change, formula_change) {
        (Some(policy), Some(formula)) => Some(format!("{policy}. {formula}")),
        (policy, formula) => policy.or(formula),
    }
}

/// One point per UTC day of the scans of a trend (see [`DayPoint`]).
fn day_points(points: &[TrendPoint]) -> Vec<DayPoint> {
    let scored = scored_points(points);
    charts::days(&scored, |(at, _, _)| *at)
        .into_iter()
        .filter_map(|day| {
            let &(at, score, point) = day.last()?;
            // The day's last change, at the scan that made it.
            let change = day.iter().rev().find_map(|(_, _, point)| Some((point.scan, change_at(point)?)));
            Some(DayPoint {
                at,
                score,
                point: point.clone(),
                scans: day.len(),
                lowest: day.iter().map(|(_, score, _)| *score).min().unwrap_or(score),
                change,
            })
        })
        .collect()
}

/// The score over time of a cluster (testid `trend-chart`): a line through the days of
/// the range that had a finished scan, each day drawn by its last scan (the state it ended
/// in, as the reports' daily points), grade thresholds as dashed lines labelled in the
/// right margin, the latest score written by its point, and each point focusable: it opens
/// its scan (`on_select` with the scan's id).
#[component]
pub fn TrendChart(
    points: Vec<TrendPoint>,
    from: i64,
    to: i64,
    /// The scan shown in the scan panel, highlighted.
    #[prop(into)]
    selected: Signal<Option<i64>>,
    on_select: Callback<i64>,
) -> impl IntoView {
    let days = charts::thin(&day_points(&points), |day| day.at, from, to, MAX_MARKS);
    let coordinates: Vec<(f64, f64)> =
        days.iter().map(|day| (TREND.x(day.at, from, to), TREND.y(day.score as f64, 100.0))).collect();
    let path = charts::line_path(&coordinates);
    let scans: usize = days.iter().map(|day| day.scans).sum();
    let label = match (days.first(), days.last()) {
        (Some(first), Some(last)) => format!(
            "Score over time: {scans} scans on {} days; first {} ({}), latest {} ({})",
            days.len(),
            first.score,
            grade(first.score as u32),
            last.score,
            grade(last.score as u32)
        ),
        _ => "Score over time: no finished scan in this range".to_string(),
    };
    let gridlines = value_axis(&[0, 25, 50, 75, 100], 100);
    // The score each grade starts at, as the engine grades; the letter in the right
    // margin, level with its line.
    let thresholds = [90, 80, 70, 60]
        .into_iter()
        .map(|value| {
            let y = charts::round(TREND.y(f64::from(value), 100.0));
            view! {
                <line class="threshold" x1=TREND.left x2=TREND.width - TREND.right y1=y y2=y></line>
                <text
                    class="threshold-label"
                    data-testid="threshold-label"
                    x=TREND.width - TREND.right + 9.0
                    y=y + 4.0
                    text-anchor="start"
                >
                    {grade(value)}
                </text>
            }
        })
        .collect_view();
    let ticks = time_axis(from, to);
    // The latest score, written next to its point (above it, or below near the top).
    let latest = days.last().zip(coordinates.last()).map(|(day, &(x, y))| {
        let (label_x, label_y) = charts::point_label(x, y, &TREND);
        view! {
            <text
                class="point-value"
                data-testid="trend-latest"
                x=charts::round(label_x)
                y=charts::round(label_y)
                text-anchor="end"
            >
                {day.score}
            </text>
        }
    });
    let marks = days
        .into_iter()
        .zip(coordinates)
        .map(|(day, (x, y))| {
            let DayPoint { at, score, point, scans, lowest, change } = day;
            let scan = point.scan;
            let of_the_day = if scans > 1 {
                format!(". The last of {scans} scans that day (lowest score {lowest})")
            } else {
                String::new()
            };
            let description = format!(
                "Scan {scan}, {}: score {score} ({}), {} new, {} resolved{of_the_day}{}",
                format_utc(at),
                point.grade.clone().unwrap_or_else(|| grade(score as u32).to_string()),
                point.new,
                point.resolved,
                change.as_ref().map(|(_, change)| format!(". {change}")).unwrap_or_default()
            );
            let title = description.clone();
            // A change of the team's policies is a change of rules, marked as such: the
            // score moving there is not the cluster getting better or worse.
            let policy_mark = change.map(|(changed_at, change)| {
                let x = charts::round(x);
                view! {
                    <line class="policy-change" data-testid="policy-change" data-scan=changed_at x1=x x2=x y1=TREND.top y2=TREND.height - TREND.bottom>
                        <title>{change}</title>
                    </line>
                }
            });
            view! {
                {policy_mark}
                <circle
                    class="point"
                    class:selected=move || selected.get() == Some(scan)
                    cx=charts::round(x)
                    cy=charts::round(y)
                    r="5"
                    tabindex="0"
                    role="button"
                    aria-label=description
                    data-scan=scan
                    data-scans=scans
                    on:click=move |_| on_select.run(scan)
                    on:keydown=move |event: web_sys::KeyboardEvent| {
                        if event.key() == "Enter" || event.key() == " " {
                            event.prevent_default();
                            on_select.run(scan);
                        }
                    }
                >
                    <title>{title}</title>
                </circle>
            }
        })
        .collect_view();
    view! {
        <figure class="chart" data-testid="trend-chart">
            <svg class="trend" viewBox="0 0 720 240" role="group" aria-label=label>
                {gridlines}
                {thresholds}
                {ticks}
                <path class="trend-line" d=path></path>
                {marks}
                {latest}
            </svg>
        </figure>
    }
}

/// Horizontal grid lines at `values` of a scale from 0 to `max`, labelled on the left.
fn value_axis(values: &[i64], max: i64) -> impl IntoView {
    values
        .iter()
        .map(|&value| {
            let y = charts::round(TREND.y(value as f64, max as f64));
            view! {
                <line class="grid" x1=TREND.left x2=TREND.width - TREND.right y1=y y2=y></line>
                <text class="axis-label" x=TREND.left - 6.0 y=y + 4.0 text-anchor="end">{value}</text>
            }
        })
        .collect_view()
}

/// The day labels under a chart's plot.
fn time_axis(from: i64, to: i64) -> impl IntoView {
    charts::day_ticks(from, to, 6)
        .into_iter()
        .map(|tick| {
            let x = charts::round(TREND.x(tick, from, to));
            view! {
                <line class="tick" x1=x x2=x y1=TREND.height - TREND.bottom y2=TREND.height - TREND.bottom + 4.0></line>
                <text class="axis-label" x=x y=TREND.height - 8.0 text-anchor="middle">{format_day(tick)}</text>
            }
        })
        .collect_view()
}

/// Findings by severity over time: a bar per day with scans (its last scan's counts),
/// severities stacked from critical up.
#[component]
pub fn SeverityChart(points: Vec<TrendPoint>, from: i64, to: i64) -> impl IntoView {
    // A bar per day, as the trend's points: the counts the day ended with.
    let daily: Vec<(i64, Counts)> = day_points(&points).into_iter().map(|day| (day.at, day.point.counts)).collect();
    let timed = charts::thin(&daily, |(at, _)| *at, from, to, MAX_MARKS);
    let max = charts::counts_max(&timed.iter().map(|(_, counts)| *counts).collect::<Vec<_>>());
    let width = charts::bar_width(&TREND, timed.len());
    let label = match timed.last() {
        Some((at, counts)) => format!(
            "Findings by severity over time, the end of {} days with scans; latest ({}): {}",
            timed.len(),
            format_utc(*at),
            counts.describe()
        ),
        None => "Findings by severity over time: no finished scan in this range".to_string(),
    };
    let gridlines = value_axis(&[0, max / 2, max], max);
    let bars = charts::stacks(&timed, from, to, max, &TREND)
        .into_iter()
        .zip(timed.iter())
        .map(|(stack, (at, counts))| {
            let title = format!("{}: {}", format_utc(*at), counts.describe());
            let segments = stack
                .segments
                .into_iter()
                .map(|(severity, y, height)| {
                    view! {
                        <rect
                            class=format!("bar level-{severity}")
                            x=charts::round(stack.x - width / 2.0)
                            y=y
                            width=width
                            height=height
                        ></rect>
                    }
                })
                .collect_view();
            view! {
                <g class="stack">
                    <title>{title}</title>
                    {segments}
                </g>
            }
        })
        .collect_view();
    let legend = crate::dashboard::SEVERITIES
        .into_iter()
        .map(|severity| view! { <li class=format!("count level-{severity}")>{severity}</li> })
        .collect_view();
    view! {
        <figure class="chart" data-testid="severity-chart">
            <svg class="trend" viewBox="0 0 720 240" role="img" aria-label=label>
                {gridlines}
                {time_axis(from, to)}
                {bars}
            </svg>
            <figcaption>
                <ul class="counts legend">{legend}</ul>
            </figcaption>
        </figure>
    }
}

/// How many colours the report's score lines cycle through (`series-0` … in the
/// stylesheet).
pub const SERIES_COLOURS: usize = 6;

/// The scores of a report's clusters over its period (testid `report-score-chart`): one
/// line per cluster, each point titled with its scan, and a legend naming the lines.
#[component]
pub fn ReportScoreChart(clusters: Vec<ReportCluster>, from: i64, to: i64) -> impl IntoView {
    let lines = clusters
        .iter()
        .enumerate()
        .map(|(index, cluster)| {
            let timed: Vec<(i64, i64, String)> = cluster
                .scores
                .iter()
                .filter_map(|state| Some((parse_rfc3339(&state.at)?, state.score, state.grade.clone())))
                .collect();
            let timed = charts::thin(&timed, |(at, _, _)| *at, from, to, MAX_MARKS);
            let coordinates: Vec<(f64, f64)> =
                timed.iter().map(|(at, score, _)| (TREND.x(*at, from, to), TREND.y(*score as f64, 100.0))).collect();
            let series = format!("series series-{}", index % SERIES_COLOURS);
            let points = timed
                .iter()
                .zip(&coordinates)
                .map(|((at, score, grade), (x, y))| {
                    let title = format!("{}, {}: {score} ({grade})", cluster.name, format_utc(*at));
                    view! {
                        <circle class="series-point" cx=charts::round(*x) cy=charts::round(*y) r="3">
                            <title>{title}</title>
                        </circle>
                    }
                })
                .collect_view();
            view! {
                <g class=series data-cluster=cluster.name.clone()>
                    <path class="series-line" d=charts::line_path(&coordinates)></path>
                    {points}
                </g>
            }
        })
        .collect_view();
    let scored = clusters.iter().filter(|cluster| !cluster.scores.is_empty()).count();
    let label = format!(
        "Scores over the period: {scored} of {} clusters scanned; {}",
        clusters.len(),
        clusters
            .iter()
            .map(|cluster| match cluster.score {
                Some(score) => format!("{} {score}", cluster.name),
                None => format!("{} not scanned", cluster.name),
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let legend = clusters
        .iter()
        .enumerate()
        .map(|(index, cluster)| {
            view! {
                <li class=format!("series series-{}", index % SERIES_COLOURS)>
                    <span class="swatch" aria-hidden="true"></span>
                    {cluster.name.clone()}
                </li>
            }
        })
        .collect_view();
    view! {
        <figure class="chart" data-testid="report-score-chart">
            <svg class="trend" viewBox="0 0 720 240" role="img" aria-label=label>
                {value_axis(&[0, 25, 50, 75, 100], 100)}
                {time_axis(from, to)}
                {lines}
            </svg>
            <figcaption>
                <ul class="series-legend">{legend}</ul>
            </figcaption>
        </figure>
    }
}

/// New and resolved findings per week of a report (testid `report-weeks-chart`): two bars
/// a week, each titled with its figures.
#[component]
pub fn WeeksChart(weeks: Vec<ReportWeek>) -> impl IntoView {
    let slots: Vec<Vec<i64>> = weeks.iter().map(|week| vec![week.new, week.resolved]).collect();
    let max = charts::nice_ceiling(slots.iter().flatten().copied().max().unwrap_or(0));
    let (width, bars) = charts::grouped_bars(&slots, max, &TREND);
    let label = format!(
        "New and resolved findings per week: {} new and {} resolved over {} weeks",
        weeks.iter().map(|week| week.new).sum::<i64>(),
        weeks.iter().map(|week| week.resolved).sum::<i64>(),
        weeks.len()
    );
    // Every label fits up to 13 weeks; beyond, every n-th.
    let label_every = weeks.len().div_ceil(13).max(1);
    let groups = weeks
        .iter()
        .zip(bars)
        .enumerate()
        .map(|(index, (week, bars))| {
            let rects = bars
                .into_iter()
                .zip([("new", week.new), ("resolved", week.resolved)])
                .map(|((x, y, height), (kind, count))| {
                    view! {
                        <rect class=format!("week-bar {kind}") x=x y=y width=width height=height>
                            <title>{format!("{} (from {}): {count} {kind}", week.week, week.starts)}</title>
                        </rect>
                    }
                })
                .collect_view();
            let centre = charts::round(TREND.left + TREND.plot_width() / weeks.len() as f64 * (index as f64 + 0.5));
            let text = (index % label_every == 0).then(|| {
                view! {
                    <text class="axis-label" x=centre y=TREND.height - 8.0 text-anchor="middle">
                        {week.week.rsplit('-').next().unwrap_or_default().to_string()}
                    </text>
                }
            });
            view! { <g class="week" data-week=week.week.clone()>{rects}{text}</g> }
        })
        .collect_view();
    view! {
        <figure class="chart" data-testid="report-weeks-chart">
            <svg class="trend" viewBox="0 0 720 240" role="img" aria-label=label>
                {value_axis(&[0, max / 2, max], max)}
                {groups}
            </svg>
            <figcaption>
                <ul class="series-legend">
                    <li class="week-key new"><span class="swatch" aria-hidden="true"></span>"new"</li>
                    <li class="week-key resolved"><span class="swatch" aria-hidden="true"></span>"resolved"</li>
                </ul>
            </figcaption>
        </figure>
    }
}
