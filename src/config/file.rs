//! Reading `config.toml`: every known key with the line it is on, so an error (and
//! `trawl config`) can point at `config.toml:7`. Values are never quoted back in errors: a
//! mistyped secret in the file must not end up on the terminal.

use super::ConfigError;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

/// One value from the file, by what it is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum FileValue {
    Text(String),
    /// A TOML integer or float, as decimal text.
    Number(String),
    /// Anything else, by its TOML type ("a boolean", "a table", …).
    Other(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct FileEntry {
    pub value: FileValue,
    /// 1-based line of the key.
    pub line: usize,
}

#[derive(Debug, Clone, Default)]
pub(super) struct ConfigFile {
    pub path: PathBuf,
    entries: HashMap<String, FileEntry>,
}

impl ConfigFile {
    /// Reads the file; `Ok(None)` when there is none.
    pub fn load(path: &Path, known: &[&str]) -> Result<Option<ConfigFile>, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        ConfigFile::parse(path, &text, known).map(Some)
    }

    /// Parses `text`; every key must be one of `known` (dotted: `judge.model`).
    pub fn parse(path: &Path, text: &str, known: &[&str]) -> Result<ConfigFile, ConfigError> {
        let table = DeTable::parse(text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            line: line_of(text, e.span().map_or(0, |s| s.start)),
            // `message()` without the quoted source line that `Display` adds.
            message: e.message().trim().to_string(),
        })?;
        let mut file = ConfigFile {
            path: path.to_path_buf(),
            entries: HashMap::new(),
        };
        file.walk(text, table.get_ref(), "", known)?;
        Ok(file)
    }

    pub fn get(&self, key: &str) -> Option<&FileEntry> {
        self.entries.get(key)
    }

    fn walk(
        &mut self,
        text: &str,
        table: &DeTable<'_>,
        prefix: &str,
        known: &[&str],
    ) -> Result<(), ConfigError> {
        for (k, v) in table.iter() {
            let key = format!("{prefix}{}", k.get_ref());
            let line = line_of(text, k.span().start);
            let section = format!("{key}.");
            if let DeValue::Table(inner) = v.get_ref()
                && known.iter().any(|n| n.starts_with(&section))
            {
                self.walk(text, inner, &section, known)?;
                continue;
            }
            if !known.contains(&key.as_str()) {
                return Err(ConfigError::UnknownKey {
                    path: self.path.clone(),
                    line,
                    key,
                    known: known.join(", "),
                });
            }
            let value = match v.get_ref() {
                DeValue::String(s) => FileValue::Text(s.to_string()),
                DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                    Ok(n) => FileValue::Number(n.to_string()),
                    Err(_) => FileValue::Other("an integer out of range"),
                },
                DeValue::Float(f) => FileValue::Number(f.as_str().to_string()),
                DeValue::Boolean(_) => FileValue::Other("a boolean"),
                DeValue::Datetime(_) => FileValue::Other("a date"),
                DeValue::Array(_) => FileValue::Other("an array"),
                DeValue::Table(_) => FileValue::Other("a table"),
            };
            self.entries.insert(key, FileEntry { value, line });
        }
        Ok(())
    }
}

/// The 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text.as_bytes()[..at]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["store", "judge.model", "judge.concurrency"];

    fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        ConfigFile::parse(Path::new("/c/config.toml"), text, KNOWN)
    }

    #[test]
    fn keys_come_with_their_lines() {
        let f =
            parse("# hi\nstore = \"/x.db\"\n\n[judge]\nmodel = \"m\"\nconcurrency = 8\n").unwrap();
        assert_eq!(
            f.get("store"),
            Some(&FileEntry {
                value: FileValue::Text("/x.db".into()),
                line: 2
            })
        );
        assert_eq!(f.get("judge.model").map(|e| e.line), Some(5));
        assert_eq!(
            f.get("judge.concurrency").map(|e| &e.value),
            Some(&FileValue::Number("8".into()))
        );
        // Dotted keys are the same keys.
        let f = parse("judge.model = \"m\"").unwrap();
        assert!(f.get("judge.model").is_some());
    }

    #[test]
    fn unknown_keys_and_syntax_errors_name_file_and_line_without_the_value() {
        let e = parse("store = \"/x\"\n[judge]\napi_key = \"sk-secret-123\"\n").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("/c/config.toml:3: unknown key `judge.api_key`"),
            "{msg}"
        );
        assert!(!msg.contains("sk-secret"), "{msg}");
        let e = parse("store = \"/x\"\nmodel = = \"sk-secret-123\"\n").unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("/c/config.toml:2: "), "{msg}");
        assert!(!msg.contains("sk-secret"), "{msg}");
    }
}
