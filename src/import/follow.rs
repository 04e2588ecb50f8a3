//! Following a growing OTLP/JSON lines file (`tail -f`), through truncation and rotation.

use super::pipeline::finish_otlp_span;
use super::{ImportError, Progress, io_reason, source_outcome, source_record};
use crate::ingest::lines::strip_bom;
use crate::ingest::{Format, IngestReport, otlp};
use crate::pricing::PriceBook;
use crate::store::{PreparedSpan, Store};
use std::io::{Read, Seek};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often a followed file is checked for new bytes.
const FOLLOW_POLL: Duration = Duration::from_millis(200);
/// Bytes read per step while catching up, so commits (and the TUI) keep pace.
const FOLLOW_CHUNK: usize = 1 << 20;

/// The file being tailed: its handle, identity and the bytes of a line still being written.
struct Tail {
    path: std::path::PathBuf,
    file: Option<std::fs::File>,
    id: Option<u64>,
    offset: u64,
    pending: Vec<u8>,
    line: u64,
    buf: Vec<u8>,
}

/// What a poll found.
enum TailEvent {
    Data,
    /// The file was replaced or truncated: reading restarts at its beginning.
    Restarted {
        partial_lost: bool,
    },
    Idle,
}

#[cfg(unix)]
fn file_id(m: &std::fs::Metadata) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    Some(m.ino() ^ m.dev().rotate_left(32))
}

#[cfg(not(unix))]
fn file_id(_: &std::fs::Metadata) -> Option<u64> {
    None
}

impl Tail {
    fn new(path: &Path) -> Tail {
        Tail {
            path: path.to_path_buf(),
            file: None,
            id: None,
            offset: 0,
            pending: Vec::new(),
            line: 0,
            buf: vec![0; FOLLOW_CHUNK],
        }
    }

    fn open(&mut self) -> std::io::Result<bool> {
        match std::fs::File::open(&self.path) {
            Ok(f) => {
                self.id = f.metadata().ok().as_ref().and_then(file_id);
                self.file = Some(f);
                self.offset = 0;
                self.line = 0;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn poll(&mut self) -> std::io::Result<TailEvent> {
        if self.file.is_none() && !self.open()? {
            return Ok(TailEvent::Idle);
        }
        let Some(f) = self.file.as_mut() else {
            return Ok(TailEvent::Idle);
        };
        // Drain the handle first: after a rename the old file may still have unread lines.
        let n = f.read(&mut self.buf)?;
        if n > 0 {
            self.offset += n as u64;
            self.pending.extend_from_slice(&self.buf[..n]);
            return Ok(TailEvent::Data);
        }
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            // Rotated away and not recreated yet: keep the old handle and wait.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TailEvent::Idle),
            Err(e) => return Err(e),
        };
        let replaced = matches!((file_id(&meta), self.id), (Some(a), Some(b)) if a != b);
        let truncated = meta.len() < self.offset;
        if replaced || truncated {
            let partial_lost = !self.pending.is_empty();
            self.pending.clear();
            if replaced {
                self.file = None;
                self.open()?;
            } else if let Some(f) = self.file.as_mut() {
                f.seek(std::io::SeekFrom::Start(0))?;
                self.offset = 0;
                self.line = 0;
            }
            return Ok(TailEvent::Restarted { partial_lost });
        }
        Ok(TailEvent::Idle)
    }

    /// Complete lines buffered so far, with their numbers; a partial last line stays pending.
    fn take_lines(&mut self) -> Vec<(u64, Vec<u8>)> {
        let Some(last_nl) = memchr::memrchr(b'\n', &self.pending) else {
            return Vec::new();
        };
        let rest = self.pending.split_off(last_nl + 1);
        let done = std::mem::replace(&mut self.pending, rest);
        let body = &done[..done.len() - 1];
        let mut out = Vec::new();
        for l in body.split(|b| *b == b'\n') {
            self.line += 1;
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            let l = if self.line == 1 { strip_bom(l) } else { l };
            out.push((self.line, l.to_vec()));
        }
        out
    }
}

/// Tails a growing OTLP/JSON lines file (a Collector `file` exporter dump): imports what is
/// there, then polls for appended lines until `stop` is set. A partial last line waits for its
/// newline; truncation and rotation restart from the beginning of the new file. Each poll that
/// found spans commits at once, so a reader (the TUI) sees new traces within a second;
/// `on_progress` carries the ids of the traces each commit touched.
pub fn follow_file(
    store: &mut Store,
    path: &Path,
    stop: &AtomicBool,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<IngestReport, ImportError> {
    let display = path.display().to_string();
    let mut report = IngestReport::new(&display);
    report.format = Format::OtlpJson.name().to_string();
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        report.fatal = Some("is a directory; name the trace file inside it".into());
        return Ok(report);
    }
    let source = source_record(path, &report.format, None);
    let book = PriceBook::active();
    let mut tail = Tail::new(path);
    let mut writer = store.begin_import(&source)?;
    writer.set_batch_size(1000);
    loop {
        let event = match tail.poll() {
            Ok(e) => e,
            Err(e) => {
                report.fatal = Some(io_reason(&e));
                break;
            }
        };
        if let TailEvent::Restarted { partial_lost } = event
            && partial_lost
        {
            report.bad(
                tail.line + 1,
                "unterminated last line dropped: the file was truncated or replaced",
            );
        }
        let lines = tail.take_lines();
        for (number, bytes) in &lines {
            report.lines = report.lines.max(*number);
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match otlp::read_line(bytes) {
                Ok(read) => {
                    if read.problems.is_empty() || !read.spans.is_empty() {
                        report.lines_ok += 1;
                    }
                    for mut s in read.spans {
                        finish_otlp_span(book, &mut s);
                        writer.write_prepared(&PreparedSpan::new(s)?)?;
                    }
                    for p in read.problems {
                        report.span_problem(*number, p.span.map(|n| n as u64), p.reason);
                    }
                }
                Err(reason) => report.bad(*number, reason),
            }
        }
        let idle = matches!(event, TailEvent::Idle);
        // Commit when the input paused (the usual live case) or a catch-up batch is big.
        if writer.pending() > 0 && (idle || writer.pending() >= 1000) {
            let touched = writer.commit_batch()?;
            on_progress(&Progress {
                file: display.clone(),
                bytes_read: tail.offset,
                bytes_total: tail.offset,
                spans: writer.stats.spans_new,
                traces_new: writer.stats.traces_new,
                touched,
            });
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if idle {
            std::thread::sleep(FOLLOW_POLL);
        }
    }
    // A partial line left at the end is not reported: its writer may still be writing it.
    let stats = writer.finish(&source_outcome(&report))?;
    report.spans_new = stats.spans_new;
    report.duplicates = stats.duplicates;
    report.traces_touched = stats.traces_touched;
    report.traces_new = stats.traces_new;
    report.bytes = tail.offset;
    Ok(report)
}
