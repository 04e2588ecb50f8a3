//! Metrics over time: one figure as a bar chart (selectable metric, bucket size and grouping),
//! the selected bucket's figures below; Enter lists that bucket's traces.

use crate::filter::TraceFilter;
use crate::metrics::{Bucket, BucketStats, GroupBy, NO_GROUP};
use crate::tui::action::{Action, Cmd, Effect};
use crate::tui::keys::{Binding, Key, Layers, Mode, hint, key};
use crate::tui::pane::{Ctx, Intent, Pane, PaneInfo, Receipt};
use crate::tui::theme::Theme;
use crate::tui::widgets::scroll::{Motion, ScrollList};
use crate::tui::widgets::text::{cell, thousands};
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use std::any::Any;
use std::collections::BTreeSet;

mod draw;

pub static INFO: PaneInfo = PaneInfo {
    mode: Mode::Metrics,
    label: "metrics",
    title: "Metrics",
    // No navigation layer: j/k pick the group, h/l the bucket.
    keys: Layers::pane(KEYS, None),
};

static KEYS: &[Binding] = &[
    hint(Key::ch('q'), Cmd::Back, "back"),
    key(Key::plain(K::Esc), Cmd::Back, "back"),
    hint(Key::plain(K::Tab), Cmd::NextTab, "next metric"),
    key(Key::plain(K::BackTab), Cmd::PrevTab, "previous metric"),
    key(Key::ch('l'), Cmd::Next, "next bucket"),
    key(Key::plain(K::Right), Cmd::Next, "next bucket"),
    key(Key::ch('h'), Cmd::Prev, "previous bucket"),
    key(Key::plain(K::Left), Cmd::Prev, "previous bucket"),
    key(Key::ch('j'), Cmd::Down, "next group"),
    key(Key::plain(K::Down), Cmd::Down, "next group"),
    key(Key::ch('k'), Cmd::Up, "previous group"),
    key(Key::plain(K::Up), Cmd::Up, "previous group"),
    hint(
        Key::ch('b'),
        Cmd::CycleBucket,
        "bucket size (hour/day/week)",
    ),
    hint(
        Key::ch('g'),
        Cmd::CycleGroup,
        "group by (none/model/tag/name/user/service)",
    ),
    hint(Key::plain(K::Enter), Cmd::Open, "traces in this bucket"),
    key(Key::ch('X'), Cmd::JudgeCancel, "cancel judge run"),
];

/// What the chart plots.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricKind {
    Traces,
    ErrorRate,
    LatencyP50,
    LatencyP95,
    Cost,
    Tokens,
    FalseRate(String),
}

impl MetricKind {
    pub fn label(&self) -> String {
        match self {
            MetricKind::Traces => "traces".into(),
            MetricKind::ErrorRate => "error rate".into(),
            MetricKind::LatencyP50 => "latency p50".into(),
            MetricKind::LatencyP95 => "latency p95".into(),
            MetricKind::Cost => "cost".into(),
            MetricKind::Tokens => "tokens".into(),
            MetricKind::FalseRate(r) => format!("{r} FALSE rate"),
        }
    }

    /// The value in `b`; `None` when the bucket has nothing to measure (no traces, no judged
    /// traces for a rule, no latencies).
    pub fn value(&self, b: &BucketStats) -> Option<f64> {
        if b.traces == 0 {
            return None;
        }
        match self {
            MetricKind::Traces => Some(b.traces as f64),
            MetricKind::ErrorRate => Some(b.error_rate),
            MetricKind::LatencyP50 => b.latency_p50_ms,
            MetricKind::LatencyP95 => b.latency_p95_ms,
            MetricKind::Cost => Some(b.cost_usd),
            MetricKind::Tokens => Some((b.input_tokens + b.output_tokens) as f64),
            MetricKind::FalseRate(r) => b.rules.get(r).and_then(|s| s.false_rate),
        }
    }

    /// The change from `prev` to `cur`: a difference for rates, a relative change otherwise.
    pub fn change(&self, cur: &BucketStats, prev: &BucketStats) -> Option<f64> {
        let (c, p) = (self.value(cur), self.value(prev));
        if self.is_rate() {
            crate::metrics::stats::difference(c, p)
        } else {
            crate::metrics::stats::relative(c, p)
        }
    }

    /// `+12%` or, for rates, `+1.5pp`.
    pub fn format_change(&self, d: f64) -> String {
        if self.is_rate() {
            format!("{:+.1}pp", d * 100.0)
        } else {
            format!("{:+.0}%", d * 100.0)
        }
    }

    /// Rates are compared in percentage points, the rest relatively.
    pub fn is_rate(&self) -> bool {
        matches!(self, MetricKind::ErrorRate | MetricKind::FalseRate(_))
    }

    /// How many measurements stand behind the value in `b`: traces, or judged traces for a
    /// rule.
    pub fn n(&self, b: &BucketStats) -> i64 {
        match self {
            MetricKind::FalseRate(r) => b.rules.get(r).map(|s| s.n).unwrap_or(0),
            _ => b.traces,
        }
    }

    pub fn format(&self, v: Option<f64>) -> String {
        let Some(v) = v else {
            return "-".into();
        };
        match self {
            MetricKind::Traces | MetricKind::Tokens => thousands(v.round() as i64),
            MetricKind::ErrorRate | MetricKind::FalseRate(_) => format!("{:.1}%", v * 100.0),
            MetricKind::LatencyP50 | MetricKind::LatencyP95 => {
                crate::display::duration_ns((v * 1e6) as i64)
            }
            MetricKind::Cost => crate::display::cost_value(v),
        }
    }
}

/// Buckets follow UTC in the TUI (as `trawl stats` does by default).
fn utc() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!("0 is a valid offset"))
}

/// The choices that survive closing the view.
#[derive(Debug, Clone, Copy)]
struct Choices {
    bucket: Bucket,
    group_by: Option<GroupBy>,
    metric: usize,
}

#[derive(Debug, Clone)]
pub struct MetricsPane {
    pub loading: bool,
    pub bucket: Bucket,
    pub group_by: Option<GroupBy>,
    pub stats: Vec<BucketStats>,
    /// Groups present (one `None` entry when not grouped).
    pub groups: Vec<Option<String>>,
    pub group: usize,
    pub metrics: Vec<MetricKind>,
    pub metric: usize,
    /// Cursor over the selected group's buckets.
    pub buckets: ScrollList,
    /// The trace list's filter when the view opened.
    filter: TraceFilter,
    filter_text: String,
    req: u64,
}

impl MetricsPane {
    /// Metrics over `filter`, with the choices `kept` from the last metrics view; the effect
    /// computes them.
    pub fn open(
        filter: TraceFilter,
        filter_text: String,
        kept: Option<&dyn Any>,
        cx: &mut Ctx,
    ) -> (MetricsPane, Effect) {
        let c = kept
            .and_then(|k| k.downcast_ref::<Choices>())
            .copied()
            .unwrap_or(Choices {
                bucket: Bucket::Day,
                group_by: None,
                metric: 0,
            });
        let mut m = MetricsPane {
            loading: true,
            bucket: c.bucket,
            group_by: c.group_by,
            stats: Vec::new(),
            groups: vec![None],
            group: 0,
            metrics: Vec::new(),
            metric: c.metric,
            buckets: ScrollList::list(),
            filter,
            filter_text,
            req: 0,
        };
        let effect = m.load(cx);
        (m, effect)
    }

    pub fn selected(&self) -> usize {
        self.buckets.selected()
    }

    /// The selected group's buckets, oldest first.
    pub fn series(&self) -> Vec<&BucketStats> {
        let g = self.groups.get(self.group).cloned().flatten();
        self.stats.iter().filter(|b| b.group == g).collect()
    }

    pub fn metric_kind(&self) -> MetricKind {
        self.metrics
            .get(self.metric)
            .cloned()
            .unwrap_or(MetricKind::Traces)
    }

    fn load(&mut self, cx: &mut Ctx) -> Effect {
        self.req = cx.req();
        self.loading = true;
        Effect::LoadMetrics {
            req: self.req,
            filter: self.filter.clone(),
            bucket: self.bucket,
            group: self.group_by,
        }
    }

    /// The cursor on the newest bucket of the selected group.
    fn select_last(&mut self) {
        let n = self.series().len();
        self.buckets.set_len(n);
        self.buckets.set_viewport(n);
        self.buckets.select(n.saturating_sub(1));
    }

    fn loaded(&mut self, stats: Vec<BucketStats>) {
        self.loading = false;
        let prev_metric = self.metrics.get(self.metric).cloned();
        let mut metrics = vec![
            MetricKind::Traces,
            MetricKind::ErrorRate,
            MetricKind::LatencyP50,
            MetricKind::LatencyP95,
            MetricKind::Cost,
            MetricKind::Tokens,
        ];
        let rules: BTreeSet<&String> = stats.iter().flat_map(|b| b.rules.keys()).collect();
        metrics.extend(rules.into_iter().map(|r| MetricKind::FalseRate(r.clone())));
        self.metric = prev_metric
            .and_then(|p| metrics.iter().position(|k| *k == p))
            .unwrap_or(self.metric.min(metrics.len() - 1));
        self.metrics = metrics;
        self.groups = if self.group_by.is_some() {
            let g: BTreeSet<Option<String>> = stats.iter().map(|b| b.group.clone()).collect();
            g.into_iter().collect()
        } else {
            vec![None]
        };
        if self.groups.is_empty() {
            self.groups.push(None);
        }
        self.group = 0;
        // Empty buckets fill the gaps: the chart's time axis is linear.
        self.stats = crate::metrics::with_empty_buckets(stats, self.bucket, utc());
        self.select_last();
    }

    /// The trace list filtered to the selected bucket's `[start, end)` (and group).
    fn open_bucket(&self, cx: &mut Ctx) {
        let series = self.series();
        let Some(b) = series.get(self.selected()) else {
            cx.info("no bucket selected");
            return;
        };
        let iso = |ns: i64| {
            chrono::DateTime::from_timestamp_nanos(ns)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        let mut filter = format!("since:{} until:{}", iso(b.start_ns), iso(b.end_ns));
        if let (Some(g), Some(v)) = (self.group_by, b.group.as_deref())
            && v != NO_GROUP
        {
            let v = v.replace('"', "");
            if v.contains(char::is_whitespace) {
                filter.push_str(&format!(" {}:\"{v}\"", g.label()));
            } else {
                filter.push_str(&format!(" {}:{v}", g.label()));
            }
        }
        let what = format!("{} {}", self.bucket.label(), cell(&b.bucket));
        cx.ask(Intent::ShowTraces { filter, what });
    }
}

impl Pane for MetricsPane {
    fn info(&self) -> &'static PaneInfo {
        &INFO
    }

    fn update(&mut self, c: Cmd, cx: &mut Ctx) -> Vec<Effect> {
        let nm = self.metrics.len().max(1);
        let ng = self.groups.len().max(1);
        match c {
            Cmd::Back => cx.back(),
            Cmd::NextTab => self.metric = (self.metric + 1) % nm,
            Cmd::PrevTab => self.metric = (self.metric + nm - 1) % nm,
            Cmd::Next => self.buckets.apply(Motion::Down),
            Cmd::Prev => self.buckets.apply(Motion::Up),
            Cmd::Down | Cmd::Up => {
                self.group = if c == Cmd::Down {
                    (self.group + 1) % ng
                } else {
                    (self.group + ng - 1) % ng
                };
                self.select_last();
            }
            Cmd::CycleBucket => {
                let i = Bucket::ALL
                    .iter()
                    .position(|b| *b == self.bucket)
                    .unwrap_or(0);
                self.bucket = Bucket::ALL[(i + 1) % Bucket::ALL.len()];
                return vec![self.load(cx)];
            }
            Cmd::CycleGroup => {
                self.group_by = match self.group_by {
                    None => GroupBy::ALL.first().copied(),
                    Some(g) => {
                        let i = GroupBy::ALL.iter().position(|x| *x == g).unwrap_or(0);
                        GroupBy::ALL.get(i + 1).copied()
                    }
                };
                return vec![self.load(cx)];
            }
            Cmd::Open => self.open_bucket(cx),
            _ => {}
        }
        Vec::new()
    }

    fn receive(&mut self, action: Action, _cx: &mut Ctx) -> Receipt {
        match action {
            Action::MetricsLoaded { req, stats } if req == self.req => {
                self.loaded(stats);
                Receipt::Taken(Vec::new())
            }
            other => Receipt::Pass(other),
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, th: &Theme) {
        draw::draw(self, frame, area, th);
    }

    fn position(&self) -> String {
        format!("by {} ", self.bucket.label())
    }

    fn keep(&self) -> Option<Box<dyn Any>> {
        Some(Box::new(Choices {
            bucket: self.bucket,
            group_by: self.group_by,
            metric: self.metric,
        }))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
