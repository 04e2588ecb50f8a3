//! The terminal UI. Event → keymap(mode) → `Action` → `App::update` (the only place state
//! changes) → `Effect`s run off the draw path (worker thread with its own store connection) →
//! results come back as request-tagged actions; stale ones are dropped. Drawing (`views`) is a
//! pure function of `App`.

pub mod action;
pub mod app;
mod data;
mod detail;
mod flows;
pub mod keymap;
mod runtime;
pub mod state;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod views;

pub use action::{Action, Cmd, Effect};
pub use app::App;
pub use runtime::{TuiOptions, run};
pub use state::View;
pub use theme::Theme;
