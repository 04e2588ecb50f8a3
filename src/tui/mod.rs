//! The terminal UI. A key goes through the focused pane's key tables (`keymap`) to a `Cmd`;
//! the pane's `update` (the only place its state changes) returns `Effect`s and asks `App` for
//! `Intent`s (open a pane, go back); effects run off the draw path (a worker thread with its
//! own store connection) and their results come back as request-tagged actions, handed to the
//! pane that asked; stale ones are dropped. Drawing is a pure function of the panes.
//!
//! Layout: `app` (pane stack, status, input, help, routing) → `panes/*` (one file per pane) →
//! shared `pane` (the protocol), `keys`, `widgets/`, `spantree`, `detail`, `theme`.

pub mod action;
pub mod app;
pub mod commandline;
pub mod compare;
mod compare_data;
mod data;
pub mod detail;
mod headless;
pub mod judge_run;
pub mod keymap;
pub mod keys;
#[cfg(test)]
mod layering;
mod live_throttle;
pub mod pane;
pub mod panes;
mod runtime;
pub mod spantree;
pub mod stack;
pub mod status;
pub mod terminal;
#[cfg(test)]
mod tests;
pub mod theme;
mod trace_data;
pub mod views;
pub mod widgets;

pub use action::{Action, Cmd, Effect};
pub use app::{App, View};
pub use runtime::{RemotePull, TuiOptions, run};
pub use theme::Theme;
