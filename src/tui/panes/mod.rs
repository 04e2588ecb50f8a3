//! Every pane of the TUI, one file each: its state, `update`, pure `draw` and key bindings.
//! Panes depend on the shared modules (`pane`, `keys`, `widgets`, `spantree`, `detail`), never
//! on each other or on `app`.
//!
//! Adding a pane: write `panes/NAME.rs` (see `agreement.rs` for a small complete one), declare
//! it below and list its `INFO` in `PANES` so its keys reach the key lookup and the help.

pub mod agreement;
pub mod evidence;
pub mod help;
pub mod judge;
pub mod judge_setup;
pub mod list;
pub mod metrics;
pub mod replay_form;
pub mod replay_view;
pub mod replays;
pub mod session;
pub mod span;
pub mod trace;
pub mod trace_diff;
pub mod triage;

use super::pane::PaneInfo;

/// The panes whose keys `?` lists, in that order (help itself is not listed).
pub static PANES: &[&PaneInfo] = &[
    &list::INFO,
    &trace::INFO,
    &span::INFO,
    &session::INFO,
    &triage::INFO,
    &evidence::INFO,
    &metrics::INFO,
    &agreement::INFO,
    &trace_diff::INFO,
    &replays::INFO,
    &replay_view::INFO,
    &replay_form::INFO,
    &judge::INFO,
    &judge_setup::INFO,
];
