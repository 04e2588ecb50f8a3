//! The terminal UI: headless `App` tests (state after actions and keys), insta snapshots of
//! every view, and end-to-end runs of the real binary in tmux.

#[path = "../util/mod.rs"]
mod util;

// Drives an `App` headlessly: fixture store, fixed clock, commands and keys.
mod drive;

// List, trace, span, session and search behaviour; keymap and sanitiser checks.
mod app;
// Relative days, `/` search with highlights, span detail scrolling and the retriever link.
mod find;
// The real binary in tmux: open, filter, navigate, quit; follow a growing file.
mod tmux;
// The judge popup, triage queue, metrics and agreement panes.
mod triage;
// The evidence pane from the trace view and triage; staged passages on every RAG fixture.
mod evidence;
// The trace view with thousands of spans at 80 columns.
mod trace_view;
// Issue 11's acceptance in tmux: last Tuesday's wrong answer and its evidence at 80x24.
mod wrong_answer;
// Issue 12: `D` trace diff, the replay form against a scripted server, `:replays`.
mod replay_view;
// Issue 13: traces arriving while the list is open; the "N new" marker.
mod live_list;
// Snapshots of every view at 80x24, 100x30 and 160x48 (tests/tui/snapshots/), and checks
// over all of them.
mod views;
