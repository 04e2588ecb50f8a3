//! A small reader for Python literal reprs (`[{'role': 'user', 'content': "it's"}]`), which
//! GenAI v1.26 instrumentations wrote into `gen_ai.prompt` / `gen_ai.completion`.

use serde_json::{Map, Number, Value};

pub(super) fn parse(s: &str) -> Option<Value> {
    let mut p = Parser {
        b: s.as_bytes(),
        i: 0,
        depth: 0,
    };
    let v = p.value()?;
    p.ws();
    (p.i == p.b.len()).then_some(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn value(&mut self) -> Option<Value> {
        self.ws();
        self.depth += 1;
        if self.depth > 128 {
            return None;
        }
        let c = self.peek()?;
        let out = match c {
            b'[' => self.seq(b']').map(Value::Array),
            b'(' => self.seq(b')').map(Value::Array),
            b'{' => self.dict(),
            b'\'' | b'"' => self.string().map(Value::String),
            _ => self.atom(),
        };
        self.depth -= 1;
        out
    }
    fn seq(&mut self, close: u8) -> Option<Vec<Value>> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            self.ws();
            if self.peek()? == close {
                self.i += 1;
                return Some(out);
            }
            out.push(self.value()?);
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                c if c == close => {}
                _ => return None,
            }
        }
    }
    fn dict(&mut self) -> Option<Value> {
        self.i += 1;
        let mut out = Map::new();
        loop {
            self.ws();
            if self.peek()? == b'}' {
                self.i += 1;
                return Some(Value::Object(out));
            }
            let key = match self.value()? {
                Value::String(s) => s,
                other => other.to_string(),
            };
            self.ws();
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            let v = self.value()?;
            out.insert(key, v);
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {}
                _ => return None,
            }
        }
    }
    fn string(&mut self) -> Option<String> {
        let quote = self.b[self.i];
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.peek()?;
            self.i += 1;
            if c == quote {
                return String::from_utf8(out).ok();
            }
            if c != b'\\' {
                out.push(c);
                continue;
            }
            let e = self.peek()?;
            self.i += 1;
            match e {
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'r' => out.push(b'\r'),
                b'0' => out.push(0),
                b'x' => {
                    let ch = self.hex(2)?;
                    push_char(&mut out, ch);
                }
                b'u' => {
                    let ch = self.hex(4)?;
                    push_char(&mut out, ch);
                }
                b'U' => {
                    let ch = self.hex(8)?;
                    push_char(&mut out, ch);
                }
                other => out.push(other),
            }
        }
    }
    fn hex(&mut self, n: usize) -> Option<u32> {
        let end = self.i.checked_add(n)?;
        let digits = std::str::from_utf8(self.b.get(self.i..end)?).ok()?;
        self.i = end;
        u32::from_str_radix(digits, 16).ok()
    }
    fn atom(&mut self) -> Option<Value> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+' | b'_') {
                self.i += 1;
            } else {
                break;
            }
        }
        let word = std::str::from_utf8(&self.b[start..self.i]).ok()?;
        match word {
            "True" => Some(Value::Bool(true)),
            "False" => Some(Value::Bool(false)),
            "None" => Some(Value::Null),
            _ => {
                if let Ok(i) = word.parse::<i64>() {
                    Some(Value::from(i))
                } else {
                    word.parse::<f64>()
                        .ok()
                        .and_then(Number::from_f64)
                        .map(Value::Number)
                }
            }
        }
    }
}

fn push_char(out: &mut Vec<u8>, code: u32) {
    let ch = char::from_u32(code).unwrap_or('\u{FFFD}');
    let mut buf = [0u8; 4];
    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pyrepr_reader() {
        assert_eq!(
            parse("[{'a': 'it\\'s', 'b': None, 'c': (1, 2.5, True)}]"),
            Some(json!([{"a": "it's", "b": null, "c": [1, 2.5, true]}]))
        );
        assert_eq!(parse("[{'a': "), None);
        assert_eq!(parse(&"[".repeat(1000)), None);
    }
}
