//! The `:` command line, parsed into what it asks for (`App` carries it out).

use super::widgets::text::cell;
use crate::store::SortKey;

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Quit,
    Filter(String),
    Sort {
        key: SortKey,
        desc: bool,
    },
    /// Open a trace by id or id prefix.
    Open(String),
    /// A session by id, or the current trace's.
    Session(Option<String>),
    Help,
    Triage,
    Metrics,
    Agreement,
    Judge,
    /// Every stored replay.
    Replays,
    /// An empty line.
    Nothing,
}

pub fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim();
    let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
    let arg = arg.trim();
    Ok(match cmd {
        "q" | "quit" | "q!" => Command::Quit,
        "filter" | "f" => Command::Filter(arg.to_string()),
        "sort" => {
            let mut parts = arg.split_whitespace();
            let Some(key) = parts.next().and_then(SortKey::parse) else {
                let names: Vec<&str> = SortKey::ALL.iter().map(|k| k.label()).collect();
                return Err(format!("sort: expected one of {}", names.join(", ")));
            };
            let desc = match parts.next() {
                Some("asc") => false,
                Some("desc") | None => true,
                Some(other) => return Err(format!("sort: '{other}' is not asc or desc")),
            };
            Command::Sort { key, desc }
        }
        "open" if arg.is_empty() => {
            return Err(":open needs a trace id (a prefix is enough)".into());
        }
        "open" => Command::Open(arg.to_string()),
        "session" => Command::Session((!arg.is_empty()).then(|| arg.to_string())),
        "help" => Command::Help,
        "triage" => Command::Triage,
        "metrics" => Command::Metrics,
        "agreement" => Command::Agreement,
        "judge" => Command::Judge,
        "replays" => Command::Replays,
        "" => Command::Nothing,
        other => {
            return Err(format!(
                "unknown command ':{}' (try :q, :filter, :sort, :open, :session, :triage, :metrics, :agreement, :judge)",
                cell(other)
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_their_errors() {
        assert_eq!(parse(" q "), Ok(Command::Quit));
        assert_eq!(
            parse("sort cost asc"),
            Ok(Command::Sort {
                key: SortKey::Cost,
                desc: false
            })
        );
        assert!(
            parse("sort cost sideways")
                .unwrap_err()
                .contains("asc or desc")
        );
        assert!(
            parse("sort nothing")
                .unwrap_err()
                .contains("expected one of")
        );
        assert!(parse("open").is_err());
        assert_eq!(parse("open abc"), Ok(Command::Open("abc".into())));
        assert_eq!(parse("session"), Ok(Command::Session(None)));
        assert_eq!(parse(""), Ok(Command::Nothing));
        assert!(parse("frobnicate").unwrap_err().contains("unknown command"));
    }
}
