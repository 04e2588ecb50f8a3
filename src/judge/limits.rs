//! Defences against a judge server that misbehaves: `retry-after` values that are absurd or
//! hostile, answers too large to hold, connections dropped mid-answer, and a key that would
//! travel in clear text.

use super::provider::CallError;
use std::net::IpAddr;
use std::time::Duration;

/// Default cap on one answer body.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The longest `retry-after` kept as such (a day); anything longer means "much later" and is
/// capped by the retry policy anyway. Keeps every later computation far from overflow.
pub const RETRY_AFTER_CEILING: Duration = Duration::from_secs(86_400);

/// `retry-after` as seconds (integer or float) or an HTTP date. Never panics: NaN, infinities
/// and negative numbers are ignored (`None`: use our own backoff); huge values and far dates
/// are clamped to [`RETRY_AFTER_CEILING`]; a date in the past is zero.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(s) = v.parse::<f64>() {
        if !(s.is_finite() && s >= 0.0) {
            return None;
        }
        let d = Duration::try_from_secs_f64(s).unwrap_or(RETRY_AFTER_CEILING);
        return Some(d.min(RETRY_AFTER_CEILING));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let ms = (when.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .num_milliseconds()
        .max(0);
    Some(Duration::from_millis(u64::try_from(ms).unwrap_or(0)).min(RETRY_AFTER_CEILING))
}

/// Reads an answer body chunk by chunk, refusing it once it passes `limit` bytes (the whole
/// body is never buffered first). A connection that breaks while the body is read is worth a
/// retry: the server answered, the network lost it.
pub(super) async fn read_body_capped(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<String, CallError> {
    if let Some(len) = resp.content_length()
        && len > limit as u64
    {
        return Err(too_large(Some(len), limit));
    }
    let mut buf: Vec<u8> = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > limit {
                    return Err(too_large(None, limit));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) if e.is_timeout() => {
                return Err(CallError::Retryable {
                    reason: "the judge request timed out while reading the answer".into(),
                    retry_after: None,
                });
            }
            Err(e) => {
                return Err(CallError::Retryable {
                    reason: format!(
                        "connection dropped while reading the judge's answer: {}",
                        error_chain(&e)
                    ),
                    retry_after: None,
                });
            }
        }
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn too_large(len: Option<u64>, limit: usize) -> CallError {
    let limit_h = crate::sanitize::human_bytes(limit as u64);
    CallError::Fatal(match len {
        Some(n) => format!(
            "judge answer too large ({} > {limit_h} limit)",
            crate::sanitize::human_bytes(n)
        ),
        None => format!("judge answer too large (more than the {limit_h} limit)"),
    })
}

/// An error and its sources, without the URL (which is ours, not news), cut to 300 chars.
pub(super) fn error_chain(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    crate::sanitize::truncate_chars(&s, 300)
}

/// The host of `base_url` when it is plain `http://` to a host that is not this machine
/// (loopback: `localhost`, 127.0.0.0/8, ::1): a key sent there crosses the network in clear.
pub fn plain_http_remote_host(base_url: &str) -> Option<String> {
    let url = reqwest::Url::parse(base_url.trim()).ok()?;
    if !url.scheme().eq_ignore_ascii_case("http") {
        return None;
    }
    let host = url.host_str()?.to_string();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => {
            let d = bare.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
    };
    (!loopback).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_never_panics_and_is_clamped() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after(" 1.5 "),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_retry_after("1e20"), Some(RETRY_AFTER_CEILING));
        assert_eq!(parse_retry_after("86400"), Some(RETRY_AFTER_CEILING));
        assert_eq!(parse_retry_after("1e308"), Some(RETRY_AFTER_CEILING));
        for bad in ["NaN", "inf", "-inf", "-1", "-0.5", "soon", ""] {
            assert_eq!(parse_retry_after(bad), None, "{bad}");
        }
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(RETRY_AFTER_CEILING)
        );
    }

    #[test]
    fn plain_http_to_remote_hosts_is_flagged_loopback_is_not() {
        for local in [
            "http://localhost:11434/v1",
            "http://LOCALHOST/v1",
            "http://127.0.0.1:8080/v1",
            "http://127.9.8.7/v1",
            "http://[::1]:8000/v1",
            "https://10.0.0.1/v1",
            "https://api.openai.com/v1",
        ] {
            assert_eq!(plain_http_remote_host(local), None, "{local}");
        }
        assert_eq!(
            plain_http_remote_host("http://192.0.2.1:9/v1").as_deref(),
            Some("192.0.2.1")
        );
        assert_eq!(
            plain_http_remote_host("http://judge.example.com/v1").as_deref(),
            Some("judge.example.com")
        );
        assert_eq!(
            plain_http_remote_host("HTTP://[2001:db8::1]/v1").as_deref(),
            Some("[2001:db8::1]")
        );
    }
}
