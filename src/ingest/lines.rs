//! Reads a JSON Lines file record by record without holding the whole file, with a cap on line
//! length so one runaway line cannot exhaust memory, and with exact 1-based line numbers. A UTF-8
//! byte order mark at the start of the file is dropped.

use std::io::{BufRead, BufReader, Read};

/// The UTF-8 byte order mark some Windows tools put at the start of a text file.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// `bytes` without a leading UTF-8 byte order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes)
}

/// Lines longer than this are skipped and reported instead of parsed.
pub const MAX_LINE_BYTES: usize = 256 * 1024 * 1024;

/// One physical line.
pub enum Line<'a> {
    /// The bytes without the trailing newline; `last_unterminated` is true for a final line
    /// with no newline (possibly truncated by a writer that is still running).
    Data {
        number: u64,
        bytes: &'a [u8],
        last_unterminated: bool,
    },
    TooLong {
        number: u64,
        len: usize,
    },
}

pub struct LineReader<R: Read> {
    inner: BufReader<R>,
    buf: Vec<u8>,
    number: u64,
    max: usize,
    /// Bytes consumed so far (for progress).
    pub bytes_read: u64,
}

impl<R: Read> LineReader<R> {
    pub fn new(r: R) -> Self {
        Self::with_limit(r, MAX_LINE_BYTES)
    }

    pub fn with_limit(r: R, max: usize) -> Self {
        LineReader {
            inner: BufReader::with_capacity(1 << 20, r),
            buf: Vec::with_capacity(1 << 16),
            number: 0,
            max,
            bytes_read: 0,
        }
    }

    /// The next line, or `None` at end of file.
    pub fn next_line(&mut self) -> std::io::Result<Option<Line<'_>>> {
        self.buf.clear();
        let mut too_long = 0usize;
        let mut terminated = false;
        let mut any = false;
        loop {
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let body = if done { &chunk[..take - 1] } else { chunk };
            if too_long > 0 || self.buf.len() + body.len() > self.max {
                // Keep counting but stop buffering: the line is going to be rejected.
                too_long += self.buf.len() + body.len();
                self.buf.clear();
            } else {
                self.buf.extend_from_slice(body);
            }
            self.inner.consume(take);
            self.bytes_read += take as u64;
            if done {
                terminated = true;
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.number += 1;
        if too_long > 0 {
            return Ok(Some(Line::TooLong {
                number: self.number,
                len: too_long,
            }));
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        if self.number == 1 && self.buf.starts_with(UTF8_BOM) {
            self.buf.drain(..UTF8_BOM.len());
        }
        Ok(Some(Line::Data {
            number: self.number,
            bytes: &self.buf,
            last_unterminated: !terminated,
        }))
    }

    /// Moves out the bytes of the line [`Self::next_line`] last returned; the next line starts
    /// in a fresh buffer. Hands a huge line on without copying it (a copy would double the
    /// memory the line costs while it is parsed).
    pub fn take_line(&mut self) -> Vec<u8> {
        std::mem::replace(&mut self.buf, Vec::with_capacity(1 << 16))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8], max: usize) -> Vec<String> {
        let mut r = LineReader::with_limit(input, max);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push(match l {
                Line::Data {
                    number,
                    bytes,
                    last_unterminated,
                } => format!(
                    "{number}:{}{}",
                    String::from_utf8_lossy(bytes),
                    if last_unterminated { "!" } else { "" }
                ),
                Line::TooLong { number, len } => format!("{number}:long{len}"),
            });
        }
        out
    }

    #[test]
    fn numbers_lines_and_flags_the_unterminated_tail() {
        assert_eq!(
            collect(b"a\nbb\r\n\nc", 100),
            vec!["1:a", "2:bb", "3:", "4:c!"]
        );
        assert!(collect(b"", 100).is_empty());
    }

    #[test]
    fn drops_a_byte_order_mark_on_line_one_only() {
        assert_eq!(
            collect(b"\xEF\xBB\xBFa\n\xEF\xBB\xBFb\n", 100),
            vec!["1:a", "2:\u{feff}b"]
        );
        assert_eq!(collect(b"\xEF\xBB\xBF", 100), vec!["1:!"]);
        assert_eq!(strip_bom(b"\xEF\xBB\xBF{}"), b"{}");
        assert_eq!(strip_bom(b"{}"), b"{}");
    }

    #[test]
    fn hands_a_line_over_and_reads_on() {
        let mut r = LineReader::with_limit(&b"\xEF\xBB\xBFfirst\r\nsecond\n"[..], 100);
        assert!(matches!(
            r.next_line().unwrap(),
            Some(Line::Data { number: 1, .. })
        ));
        assert_eq!(r.take_line(), b"first");
        match r.next_line().unwrap() {
            Some(Line::Data { number, bytes, .. }) => {
                assert_eq!((number, bytes), (2, &b"second"[..]))
            }
            _ => panic!("expected line 2"),
        }
        assert_eq!(r.take_line(), b"second");
        assert!(r.next_line().unwrap().is_none());
    }

    #[test]
    fn skips_overlong_lines_without_buffering_them() {
        assert_eq!(
            collect(b"ok\n0123456789\nok2\n", 5),
            vec!["1:ok", "2:long10", "3:ok2"]
        );
    }
}
