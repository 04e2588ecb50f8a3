//! Drawing pieces every pane shares: the frame around the panes, the one scrolling list, text
//! fitting and precomputed reading text.

pub mod barchart;
pub mod chrome;
pub mod evidence;
pub mod lines;
pub mod notice;
pub mod popup;
pub mod scroll;
pub mod search;
pub mod sparkline;
pub mod text;
