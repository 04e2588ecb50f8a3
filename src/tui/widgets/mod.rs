//! Drawing pieces every pane shares.

pub mod scroll;
