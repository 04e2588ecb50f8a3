//! `clickhouse://USER@HOST:PORT/DB?table=otel_traces` (or `?schema=langfuse`): where a remote
//! source is and how to log in. The password never comes from the URL silently: it is read from
//! `TRAWL_CLICKHOUSE_PASSWORD` (or the variable `--password-env` names); one written in the URL
//! is accepted with a warning, and [`ClickHouseUrl::display`] (what logs, progress and the
//! store's source record show) never contains it.

use super::RemoteError;

/// The environment variable the password is read from by default.
pub const PASSWORD_ENV: &str = "TRAWL_CLICKHOUSE_PASSWORD";

/// Which tables a source holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schema {
    /// The OpenTelemetry Collector ClickHouse exporter's spans table (`otel_traces` or the
    /// table the URL names) and, when present, its `<table>_trace_id_ts` companion.
    Otel { table: String },
    /// Langfuse v3's `traces`, `observations` and `scores`.
    Langfuse,
}

/// A parsed remote source.
#[derive(Clone)]
pub struct ClickHouseUrl {
    /// `http://host:port` or `https://host:port`, without a path.
    pub endpoint: String,
    pub database: String,
    pub user: String,
    password: Option<String>,
    pub schema: Schema,
    /// The URL carried a password (the caller warns).
    pub password_in_url: bool,
}

impl std::fmt::Debug for ClickHouseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

/// Does `s` name a ClickHouse source rather than a file?
pub fn is_clickhouse_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.starts_with("clickhouse://")
        || lower.starts_with("clickhouses://")
        || lower.starts_with("clickhouse+http://")
        || lower.starts_with("clickhouse+https://")
}

impl ClickHouseUrl {
    /// Parses `url`; the password comes from the environment variable `password_env` (default
    /// [`PASSWORD_ENV`]) when set, else from the URL.
    pub fn parse(url: &str, password_env: Option<&str>) -> Result<ClickHouseUrl, RemoteError> {
        let bad = |why: &str| RemoteError::Url(format!("{}: {why}", redact(url)));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected clickhouse://USER@HOST:PORT/DB?table=otel_traces"))?;
        let tls = match scheme.to_ascii_lowercase().as_str() {
            "clickhouse" | "clickhouse+http" => false,
            "clickhouses" | "clickhouse+https" => true,
            _ => return Err(bad("the scheme must be clickhouse:// or clickhouses://")),
        };
        let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = before_query.split_once('/').unwrap_or((before_query, ""));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        if hostport.is_empty() {
            return Err(bad("no host"));
        }
        let (user, url_password) = match userinfo {
            None => ("default".to_string(), None),
            Some(u) => match u.split_once(':') {
                Some((name, pw)) => (percent_decode(name), Some(percent_decode(pw))),
                None => (percent_decode(u), None),
            },
        };
        let has_port = hostport
            .rsplit_once(':')
            .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        let default_port = if tls { 8443 } else { 8123 };
        let endpoint = format!(
            "{}://{}{}",
            if tls { "https" } else { "http" },
            hostport,
            if has_port {
                String::new()
            } else {
                format!(":{default_port}")
            }
        );
        let database = match percent_decode(path.trim_matches('/')) {
            d if d.is_empty() => "default".to_string(),
            d => d,
        };
        let mut table = None;
        let mut schema_name = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "table" => table = Some(percent_decode(v)),
                "schema" => schema_name = Some(percent_decode(v).to_ascii_lowercase()),
                // Accepted and ignored: TLS follows the scheme.
                "secure" => {}
                other => {
                    return Err(bad(&format!(
                        "unknown parameter '{other}' (known: table, schema)"
                    )));
                }
            }
        }
        let schema = match schema_name.as_deref() {
            None | Some("otel") => Schema::Otel {
                table: table.unwrap_or_else(|| "otel_traces".into()),
            },
            Some("langfuse") if table.is_none() => Schema::Langfuse,
            Some("langfuse") => return Err(bad("schema=langfuse reads fixed tables; drop table=")),
            Some(other) => {
                return Err(bad(&format!(
                    "unknown schema '{other}' (known: otel, langfuse)"
                )));
            }
        };
        for name in [Some(&database), table_name(&schema)].into_iter().flatten() {
            if !is_identifier(name) {
                return Err(bad(&format!(
                    "'{name}' is not a plain identifier (letters, digits, _)"
                )));
            }
        }
        let env = password_env.unwrap_or(PASSWORD_ENV);
        let env_password = std::env::var(env).ok().filter(|p| !p.is_empty());
        Ok(ClickHouseUrl {
            endpoint,
            database,
            user,
            password_in_url: url_password.is_some(),
            password: env_password.or(url_password),
            schema,
        })
    }

    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The source as logs, progress and the store show it: never with the password.
    pub fn display(&self) -> String {
        let scheme = if self.endpoint.starts_with("https") {
            "clickhouses"
        } else {
            "clickhouse"
        };
        let host = self
            .endpoint
            .split_once("://")
            .map(|x| x.1)
            .unwrap_or_default();
        let q = match &self.schema {
            Schema::Otel { table } => format!("table={table}"),
            Schema::Langfuse => "schema=langfuse".into(),
        };
        format!("{scheme}://{}@{host}/{}?{q}", self.user, self.database)
    }
}

fn table_name(s: &Schema) -> Option<&String> {
    match s {
        Schema::Otel { table } => Some(table),
        Schema::Langfuse => None,
    }
}

/// Database and table names are spliced into SQL, so only plain identifiers are accepted.
pub(crate) fn is_identifier(s: &str) -> bool {
    !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `url` with any password replaced by `***`, for error messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_issue_forms() {
        let u = ClickHouseUrl::parse(
            "clickhouse://reader@ch.local:8123/otel?table=otel_traces",
            Some("TRAWL_TEST_NO_SUCH_VAR"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(u.endpoint, "http://ch.local:8123");
        assert_eq!(u.database, "otel");
        assert_eq!(u.user, "reader");
        assert_eq!(u.password(), None);
        assert_eq!(
            u.schema,
            Schema::Otel {
                table: "otel_traces".into()
            }
        );
        let l = ClickHouseUrl::parse(
            "clickhouses://a:s%40cret@h/lf?schema=langfuse",
            Some("TRAWL_TEST_NO_SUCH_VAR"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(l.endpoint, "https://h:8443");
        assert_eq!(l.schema, Schema::Langfuse);
        assert_eq!(l.password(), Some("s@cret"));
        assert!(l.password_in_url);
        assert!(!l.display().contains("cret"), "{}", l.display());
        assert!(!format!("{l:?}").contains("cret"));
    }

    #[test]
    fn rejects_what_would_be_spliced_into_sql() {
        for bad in [
            "clickhouse://h/db?table=x;drop",
            "clickhouse://h/d-b",
            "clickhouse://h/db?nope=1",
            "http://h/db",
            "clickhouse:///db",
        ] {
            assert!(ClickHouseUrl::parse(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("clickhouse://u:pw@h:1/db?table=t"),
            "clickhouse://u:***@h:1/db?table=t"
        );
        assert_eq!(redact("clickhouse://u@h/db"), "clickhouse://u@h/db");
    }
}
