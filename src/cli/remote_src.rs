//! What the commands that read a ClickHouse source share: opening it (with the password
//! warning), a progress line on stderr, and turning remote errors into store errors where the
//! metrics code expects those.

use crate::remote::{ClickHouseUrl, Client, RemoteError};
use anyhow::Result;
use std::io::IsTerminal;

/// Opens `url`, warning (on stderr, never with the password) when the URL carries one.
pub fn connect(url: &str, password_env: Option<&str>) -> Result<Client> {
    let parsed = ClickHouseUrl::parse(url, password_env)?;
    if parsed.password_in_url {
        errln!(
            "warning: {}: a password in the URL is visible in shell history and process lists; \
             prefer {}",
            parsed.display(),
            password_env.unwrap_or(crate::remote::PASSWORD_ENV)
        );
    }
    Ok(Client::new(&parsed)?)
}

/// A progress line rewritten in place on a terminal; nothing when stderr is not one.
pub fn progress(display: &str) -> impl FnMut(&crate::remote::PullProgress) + '_ {
    let tty = std::io::stderr().is_terminal();
    move |p| {
        if tty {
            use std::io::Write as _;
            let _ = write!(
                std::io::stderr().lock(),
                "\r{display}: {} traces, {} spans pulled ({} new)\x1b[K",
                p.traces,
                p.spans,
                p.spans_new
            );
        }
    }
}

/// Ends the progress line.
pub fn end_progress() {
    if std::io::stderr().is_terminal() {
        errln!();
    }
}

pub fn store_error(e: RemoteError) -> crate::store::StoreError {
    match e {
        RemoteError::Store(s) => s,
        other => crate::store::StoreError::Other(other.to_string()),
    }
}
