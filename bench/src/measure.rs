//! Running one measurement in a child process (so peak RSS is the measurement's own, read
//! from `wait4`), taking medians, and printing table rows in the columns.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};

/// What one child run reported: its own `RESULT k=v ...` line plus its peak RSS.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub values: BTreeMap<String, f64>,
    pub rss_mb: f64,
}

impl Sample {
    pub fn get(&self, key: &str) -> f64 {
        self.values.get(key).copied().unwrap_or(f64::NAN)
    }
}

/// The line a child prints for its parent.
pub fn emit(values: &[(&str, f64)]) {
    let fields: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("RESULT {}", fields.join(" "));
}

/// Runs `trawl-bench child ARGS...` and collects its result line and peak RSS.
pub fn child(args: &[&str]) -> Result<Sample, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut proc = Command::new(me)
        .arg("child")
        .args(args)
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    // Only the result line is kept: a child's other output (`show --json` prints 84 MB) held
    // here would stay resident in this process and count as the next child's peak RSS (a
    // spawned child starts with its parent's resident pages in its high-water mark).
    let mut out = String::new();
    if let Some(stdout) = proc.stdout.take() {
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = Vec::new();
        while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            if line.starts_with(b"RESULT ") {
                out = String::from_utf8_lossy(&line).into_owned();
            }
            line.clear();
        }
    }
    let (ok, rss_kb) = wait_with_rusage(proc.id() as libc::pid_t)?;
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .ok_or_else(|| format!("child {args:?} printed no result (exit ok: {ok})"))?;
    if !ok {
        return Err(format!("child {args:?} failed"));
    }
    let values = line
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
        .collect();
    Ok(Sample {
        values,
        rss_mb: rss_kb as f64 / 1024.0,
    })
}

/// Waits for `pid` and returns (exited successfully, peak RSS in KB of that child alone).
fn wait_with_rusage(pid: libc::pid_t) -> Result<(bool, i64), String> {
    let mut status: libc::c_int = 0;
    // SAFETY: plain syscall on our own child; both out-pointers point at live locals.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if r != pid {
        return Err(std::io::Error::last_os_error().to_string());
    }
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    Ok((ok, usage.ru_maxrss))
}

/// Runs the same child `runs` times.
pub fn repeat(runs: usize, args: &[&str]) -> Result<Vec<Sample>, String> {
    (0..runs.max(1)).map(|_| child(args)).collect()
}

pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.retain(|x| !x.is_nan());
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// Median of one reported value over samples.
pub fn median_of(samples: &[Sample], key: &str) -> f64 {
    median(samples.iter().map(|s| s.get(key)).collect())
}

pub fn median_rss(samples: &[Sample]) -> f64 {
    median(samples.iter().map(|s| s.rss_mb).collect())
}

pub fn file_mb(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1e6)
}

/// One row of the table, in the columns. Unknown cells are `None` and print as "–".
pub struct Row<'a> {
    pub work: &'a str,
    pub input: String,
    pub runs: usize,
    pub ms: Option<f64>,
    pub mb_s: Option<f64>,
    pub typed_mb_s: Option<f64>,
    pub rss_mb: Option<f64>,
    pub result: String,
    pub goal: &'a str,
}

pub const HEADER: &str = "| work | input | runs | ms (median) | MB/s | typed parse MB/s | % of typed | peak RSS MB | result | goal |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |";

impl Row<'_> {
    pub fn print(&self) {
        let f = |v: Option<f64>, digits: usize| {
            v.filter(|x| x.is_finite())
                .map_or("–".to_string(), |x| format!("{x:.digits$}"))
        };
        let pct = match (self.mb_s, self.typed_mb_s) {
            (Some(a), Some(t)) if t > 0.0 => format!("{:.0}%", 100.0 * a / t),
            _ => "–".into(),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {pct} | {} | {} | {} |",
            self.work,
            self.input,
            self.runs,
            f(self.ms, 0),
            f(self.mb_s, 1),
            f(self.typed_mb_s, 1),
            f(self.rss_mb, 0),
            self.result,
            self.goal
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_middle_and_skips_missing_values() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(vec![f64::NAN, 5.0]), 5.0);
        assert!(median(vec![]).is_nan());
    }
}
