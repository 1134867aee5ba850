//! The geometry of the dashboard's charts, as plain numbers and SVG path strings.
//!
//! The charts are drawn by the app as SVG (no chart library: a few hundred bytes of logic
//! instead of tens of kilobytes of WebAssembly). Everything that can be computed without a
//! browser is here, with native tests: where a time and a score land in a chart's frame,
//! which scans to draw when there are more than the chart can show (one a day, then the
//! last of each slice of the range), the stacks of the
//! severity chart and the day ticks of the time axis. `components::charts` turns these
//! into elements.

use crate::api::Counts;
use crate::time::DAY_MS;

/// A chart's drawing area inside its SVG `viewBox` (`0 0 width height`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    /// Room left for the axes' labels.
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Frame {
    /// Horizontal position of a time between `from` and `to`.
    pub fn x(&self, at: i64, from: i64, to: i64) -> f64 {
        let span = (to - from).max(1) as f64;
        let share = ((at - from) as f64 / span).clamp(0.0, 1.0);
        self.left + share * (self.width - self.left - self.right)
    }

    /// Vertical position of a value between 0 and `max` (0 at the bottom).
    pub fn y(&self, value: f64, max: f64) -> f64 {
        let share = if max > 0.0 { (value / max).clamp(0.0, 1.0) } else { 0.0 };
        self.height - self.bottom - share * (self.height - self.top - self.bottom)
    }

    pub fn plot_width(&self) -> f64 {
        self.width - self.left - self.right
    }
}

/// Rounds for an SVG attribute: one decimal is finer than a screen pixel at the sizes
/// drawn, and keeps the markup short.
pub fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// An SVG path through points: `M x,y L x,y …`; empty for no point.
pub fn line_path(points: &[(f64, f64)]) -> String {
    let mut path = String::new();
    for (index, (x, y)) in points.iter().enumerate() {
        path.push_str(if index == 0 { "M" } else { " L" });
        path.push_str(&format!("{},{}", round(*x), round(*y)));
    }
    path
}

/// At most `max` of time-ordered items: the last one of each of `max` equal slices of
/// `from..=to` (the state a day, or an hour, ended in). Items outside the range are
/// dropped. Fewer items than `max` are all kept.
pub fn thin<T: Clone>(items: &[T], at: impl Fn(&T) -> i64, from: i64, to: i64, max: usize) -> Vec<T> {
    let inside: Vec<&T> = items.iter().filter(|item| (from..=to).contains(&at(item))).collect();
    if inside.len() <= max || max == 0 {
        return inside.into_iter().cloned().collect();
    }
    let slice = ((to - from) as f64 / max as f64).max(1.0);
    let mut kept: Vec<T> = Vec::with_capacity(max);
    let mut last_bucket = None;
    for item in inside {
        let bucket = ((at(item) - from) as f64 / slice) as i64;
        if last_bucket == Some(bucket) {
            kept.pop();
        }
        kept.push(item.clone());
        last_bucket = Some(bucket);
    }
    kept
}

/// Where a point's value label goes, for a point at `(x, y)` of `frame` (text-anchor
/// `end`, the position of the text's baseline): above the point and left of it, clear of
/// its circle, or below it when above would leave the plot's top.
pub fn point_label(x: f64, y: f64, frame: &Frame) -> (f64, f64) {
    let x = x - 7.0;
    if y - 9.0 - 11.0 < frame.top {
        (x, y + 19.0)
    } else {
        (x, y - 9.0)
    }
}

/// Time-ordered items grouped by the UTC day they fall on (the days of the charts' time
/// axis): one slice per day that has items, in order.
pub fn days<T>(items: &[T], at: impl Fn(&T) -> i64) -> Vec<&[T]> {
    let mut days = Vec::new();
    let mut start = 0;
    for index in 1..=items.len() {
        if index == items.len() || at(&items[index]).div_euclid(DAY_MS) != at(&items[start]).div_euclid(DAY_MS) {
            days.push(&items[start..index]);
            start = index;
        }
    }
    days
}

/// The sparkline of a cluster's list row: a path through `(time, score)` points, scores
/// from 0 to 100, in a `width` × `height` box with a pixel of margin.
pub fn sparkline(points: &[(i64, i64)], from: i64, to: i64, width: f64, height: f64) -> String {
    let frame = Frame { width, height, left: 1.0, right: 1.0, top: 1.5, bottom: 1.5 };
    let coordinates: Vec<(f64, f64)> =
        points.iter().map(|&(at, score)| (frame.x(at, from, to), frame.y(score as f64, 100.0))).collect();
    match coordinates.as_slice() {
        // One scan: a short level stroke, so it shows.
        [(x, y)] => line_path(&[(x - 2.0, *y), (x + 2.0, *y)]),
        _ => line_path(&coordinates),
    }
}

/// One bar of the severity chart: a scan's counts stacked, critical at the bottom.
#[derive(Clone, Debug, PartialEq)]
pub struct Stack {
    pub x: f64,
    /// `(severity, y of the top, height)` of each non-empty segment.
    pub segments: Vec<(&'static str, f64, f64)>,
}

/// The largest stack of counts, rounded up to a number an axis can show.
pub fn counts_max(counts: &[Counts]) -> i64 {
    nice_ceiling(counts.iter().map(Counts::total).max().unwrap_or(0))
}

/// The smallest of 1, 2, 5 × 10ⁿ not below `value` (at least 5).
pub fn nice_ceiling(value: i64) -> i64 {
    let mut magnitude = 1;
    loop {
        for step in [1, 2, 5] {
            let candidate = step * magnitude;
            if candidate >= value.max(5) {
                return candidate;
            }
        }
        magnitude *= 10;
    }
}

/// The stacks of the severity chart, one per `(time, counts)`.
pub fn stacks(points: &[(i64, Counts)], from: i64, to: i64, max: i64, frame: &Frame) -> Vec<Stack> {
    points
        .iter()
        .map(|(at, counts)| {
            let mut below = 0;
            let mut segments = Vec::new();
            for (severity, count) in counts.by_severity() {
                if count > 0 {
                    let top = frame.y((below + count) as f64, max as f64);
                    let bottom = frame.y(below as f64, max as f64);
                    segments.push((severity, round(top), round(bottom - top)));
                    below += count;
                }
            }
            Stack { x: round(frame.x(*at, from, to)), segments }
        })
        .collect()
}

/// The width of a bar when `count` bars share the plot: narrower as they crowd, never
/// thinner than a pixel nor wider than 14.
pub fn bar_width(frame: &Frame, count: usize) -> f64 {
    round((frame.plot_width() / (count.max(1) as f64) * 0.6).clamp(1.0, 14.0))
}

/// Midnights (UTC) between `from` and `to` for the time axis: about `target` of them, a
/// whole number of days apart.
pub fn day_ticks(from: i64, to: i64, target: usize) -> Vec<i64> {
    let span_days = ((to - from) / DAY_MS).max(1);
    let step = (span_days as f64 / target.max(1) as f64).ceil().max(1.0) as i64 * DAY_MS;
    let first = (from.div_euclid(DAY_MS) + 1) * DAY_MS;
    let first = first.div_euclid(step) * step + if first % step == 0 { 0 } else { step };
    (0..).map(|index| first + index * step).take_while(|tick| *tick <= to).collect()
}

/// One bar: `(x, y of the top, height)`.
pub type Bar = (f64, f64, f64);

/// The bars of a grouped chart: for each slot (a week), the bars of its values side by
/// side, centred in the slot, each of the width answered first, on a scale from 0 to `max`.
pub fn grouped_bars(slots: &[Vec<i64>], max: i64, frame: &Frame) -> (f64, Vec<Vec<Bar>>) {
    let slot = frame.plot_width() / slots.len().max(1) as f64;
    let per_slot = slots.iter().map(Vec::len).max().unwrap_or(1).max(1) as f64;
    let width = round((slot * 0.8 / per_slot).clamp(1.0, 24.0));
    let bars = slots
        .iter()
        .enumerate()
        .map(|(index, values)| {
            let centre = frame.left + slot * (index as f64 + 0.5);
            let start = centre - width * values.len() as f64 / 2.0;
            values
                .iter()
                .enumerate()
                .map(|(position, &value)| {
                    let top = frame.y(value as f64, max as f64);
                    let bottom = frame.y(0.0, max as f64);
                    (round(start + width * position as f64), round(top), round(bottom - top))
                })
                .collect()
        })
        .collect();
    (width, bars)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: Frame = Frame { width: 100.0, height: 50.0, left: 10.0, right: 0.0, top: 0.0, bottom: 10.0 };

    #[test]
    fn frames_place_times_and_values() {
        assert_eq!(FRAME.x(0, 0, 10), 10.0);
        assert_eq!(FRAME.x(10, 0, 10), 100.0);
        assert_eq!(FRAME.x(5, 0, 10), 55.0);
        assert_eq!(FRAME.x(-5, 0, 10), 10.0, "clamped into the frame");
        assert_eq!(FRAME.y(0.0, 100.0), 40.0);
        assert_eq!(FRAME.y(100.0, 100.0), 0.0);
        assert_eq!(FRAME.y(50.0, 100.0), 20.0);
        assert_eq!(FRAME.y(3.0, 0.0), 40.0, "an empty scale draws at the bottom");
    }

    #[test]
    fn paths_run_through_the_points() {
        assert_eq!(line_path(&[]), "");
        assert_eq!(line_path(&[(1.0, 2.0), (3.04, 4.06)]), "M1,2 L3,4.1");
        assert_eq!(sparkline(&[(0, 100), (10, 0)], 0, 10, 102.0, 23.0), "M1,1.5 L101,21.5");
        assert_eq!(sparkline(&[(5, 50)], 0, 10, 102.0, 23.0), "M49,11.5 L53,11.5");
    }

    #[test]
    fn thinning_keeps_the_last_item_of_each_slice() {
        let items: Vec<i64> = (0..100).collect();
        let kept = thin(&items, |at| *at, 0, 99, 10);
        assert!(kept.len() <= 11, "{kept:?}");
        assert_eq!(kept.last(), Some(&99));
        assert!(kept.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(thin(&items[..5], |at| *at, 0, 99, 10), vec![0, 1, 2, 3, 4]);
        assert_eq!(thin(&items, |at| *at, 10, 12, 10), vec![10, 11, 12], "outside the range is dropped");
    }

    #[test]
    fn point_labels_sit_clear_of_their_point() {
        let frame = Frame { width: 720.0, height: 240.0, left: 34.0, right: 24.0, top: 12.0, bottom: 26.0 };
        // Above and to the left (text-anchor end), clear of a 5-unit circle.
        assert_eq!(point_label(696.0, 120.0, &frame), (689.0, 111.0));
        // Near the top: below the point instead, inside the plot.
        assert_eq!(point_label(696.0, 14.0, &frame), (689.0, 33.0));
    }

    #[test]
    fn items_group_by_their_utc_day() {
        let morning = 20_000 * DAY_MS + 3_600_000;
        let times = [morning, morning + 60_000, morning + 20 * 3_600_000, morning + DAY_MS, morning + 3 * DAY_MS];
        let days = days(&times, |at| *at);
        assert_eq!(days, vec![&times[0..3], &times[3..4], &times[4..5]]);
        // Just before and at midnight are two days.
        let midnight = 20_001 * DAY_MS;
        assert_eq!(super::days(&[midnight - 1, midnight], |at| *at).len(), 2);
        assert!(super::days(&[] as &[i64], |at| *at).is_empty());
    }

    #[test]
    fn stacks_pile_severities_from_critical_up() {
        let counts = Counts { critical: 1, high: 2, medium: 0, low: 1, info: 0 };
        let stacks = stacks(&[(5, counts)], 0, 10, 4, &FRAME);
        assert_eq!(stacks.len(), 1);
        assert_eq!(stacks[0].x, 55.0);
        assert_eq!(stacks[0].segments, vec![("critical", 30.0, 10.0), ("high", 10.0, 20.0), ("low", 0.0, 10.0)]);
        assert_eq!(counts_max(&[counts]), 5);
        assert_eq!(nice_ceiling(0), 5);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(120), 200);
        assert_eq!(nice_ceiling(500), 500);
    }

    #[test]
    fn ticks_fall_on_midnights_inside_the_range() {
        let from = 1_700_000_000_000;
        let to = from + 30 * DAY_MS;
        let ticks = day_ticks(from, to, 6);
        assert!((5..=7).contains(&ticks.len()), "{ticks:?}");
        assert!(ticks.iter().all(|tick| tick % DAY_MS == 0 && (from..=to).contains(tick)));
        assert!(ticks.windows(2).all(|pair| pair[1] - pair[0] == 5 * DAY_MS));
        assert_eq!(day_ticks(from, from + 7 * DAY_MS, 7).len(), 7);
    }

    #[test]
    fn grouped_bars_sit_side_by_side_in_their_slot() {
        let (width, bars) = grouped_bars(&[vec![2, 4], vec![0, 1]], 4, &FRAME);
        assert_eq!(width, 18.0);
        assert_eq!(bars[0], vec![(14.5, 20.0, 20.0), (32.5, 0.0, 40.0)]);
        assert_eq!(bars[1][0], (59.5, 40.0, 0.0), "zero is a bar of no height");
        assert!(bars[1][1].0 > bars[0][1].0 && bars[1][1].0 + width <= FRAME.width);
    }
}
