//! Every filter key as both front ends spell it (filter-line word, CLI flag, one line of help),
//! and the text fields a search can be scoped to.

/// A part of a span's text that search can be scoped to. The store indexes each separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TextField {
    /// What the user asked (the last user message, a root span's input).
    Question,
    /// What the model or application answered.
    Answer,
    /// Retrieved passages, context blocks, tool results.
    Docs,
    /// System prompts.
    System,
}

impl TextField {
    pub const ALL: [TextField; 4] = [
        TextField::Question,
        TextField::Answer,
        TextField::Docs,
        TextField::System,
    ];

    /// The store's full-text column.
    pub fn column(self) -> &'static str {
        match self {
            TextField::Question => "question",
            TextField::Answer => "answer",
            TextField::Docs => "docs",
            TextField::System => "system",
        }
    }

    /// The filter-line prefix (`a` in `a:refund`).
    pub fn key(self) -> Key {
        match self {
            TextField::Question => Key::Question,
            TextField::Answer => Key::Answer,
            TextField::Docs => Key::Docs,
            TextField::System => Key::System,
        }
    }
}

/// A filter key. Free text (bare words on the filter line, `--search`) is [`Key::Text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    On,
    Since,
    Until,
    User,
    Session,
    Model,
    Tag,
    Name,
    Service,
    Status,
    Verdict,
    Text,
    Question,
    Answer,
    Docs,
    System,
}

/// One key as both front ends spell it.
#[derive(Debug, Clone, Copy)]
pub struct KeyDef {
    pub key: Key,
    /// The filter-line prefix before `:` (empty for free text, which has none).
    pub word: &'static str,
    /// The CLI flag.
    pub flag: &'static str,
    /// One line for the filter line's help.
    pub help: &'static str,
    /// The key as typed, for the one-line syntax summary (`on:tuesday`).
    pub example: &'static str,
}

/// Every key, in the order help lists them.
pub const KEYS: &[KeyDef] = &[
    KeyDef {
        key: Key::On,
        example: "on:tuesday",
        word: "on",
        flag: "--on",
        help: "UTC days: 2026-11-10, 11-10, today, yesterday, tuesday, last-tuesday, 7d, 11-09..11-11",
    },
    KeyDef {
        key: Key::Since,
        example: "since:7d",
        word: "since",
        flag: "--since",
        help: "starting at or after: RFC 3339, a day (11-10, tuesday) or a duration back (7d)",
    },
    KeyDef {
        key: Key::Until,
        example: "until:11-10",
        word: "until",
        flag: "--until",
        help: "starting before: RFC 3339, a day (11-10, tuesday) or a duration back",
    },
    KeyDef {
        key: Key::User,
        example: "user:U",
        word: "user",
        flag: "--user",
        help: "user id",
    },
    KeyDef {
        key: Key::Session,
        example: "session:S",
        word: "session",
        flag: "--session",
        help: "session id",
    },
    KeyDef {
        key: Key::Model,
        example: "model:M",
        word: "model",
        flag: "--model",
        help: "model name (an undated name matches its dated snapshots)",
    },
    KeyDef {
        key: Key::Tag,
        example: "tag:T",
        word: "tag",
        flag: "--tag",
        help: "trace tag",
    },
    KeyDef {
        key: Key::Name,
        example: "name:N",
        word: "name",
        flag: "--name",
        help: "trace (root span) name",
    },
    KeyDef {
        key: Key::Service,
        example: "service:S",
        word: "service",
        flag: "--service",
        help: "service name",
    },
    KeyDef {
        key: Key::Status,
        example: "status:error",
        word: "status",
        flag: "--status",
        help: "error (or err) or ok: the outcome of the root span",
    },
    KeyDef {
        key: Key::Verdict,
        example: "verdict:RULE=false",
        word: "verdict",
        flag: "--verdict",
        help: "RULE=true|false|na|error, the latest verdict from any source (repeatable)",
    },
    KeyDef {
        key: Key::Text,
        example: "words \"a phrase\"",
        word: "",
        flag: "--search",
        help: "full-text search over questions and answers (\"quoted phrase\")",
    },
    KeyDef {
        key: Key::Question,
        example: "q:TEXT",
        word: "q",
        flag: "--question",
        help: "full-text search in questions (user input) only",
    },
    KeyDef {
        key: Key::Answer,
        example: "a:refund",
        word: "a",
        flag: "--answer",
        help: "full-text search in answers (model output) only",
    },
    KeyDef {
        key: Key::Docs,
        example: "doc:TEXT",
        word: "doc",
        flag: "--doc",
        help: "full-text search in retrieved passages and tool results",
    },
    KeyDef {
        key: Key::System,
        example: "sys:TEXT",
        word: "sys",
        flag: "--system",
        help: "full-text search in system prompts",
    },
];

impl Key {
    pub fn def(self) -> &'static KeyDef {
        // Every key has a row; the fallback only keeps this total.
        KEYS.iter().find(|d| d.key == self).unwrap_or(&KEYS[0])
    }

    /// The field a scoped search key searches.
    pub fn text_field(self) -> Option<TextField> {
        TextField::ALL.into_iter().find(|f| f.key() == self)
    }

    /// The filter-line key for `word` (case-insensitive).
    pub fn from_word(word: &str) -> Option<Key> {
        let w = word.to_ascii_lowercase();
        KEYS.iter()
            .find(|d| !d.word.is_empty() && d.word == w)
            .map(|d| d.key)
    }
}

/// The filter-line words, for "known: …" messages and help.
pub fn known_words() -> String {
    KEYS.iter()
        .filter(|d| !d.word.is_empty())
        .map(|d| d.word)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The filter syntax in one line, for help: every key by example, in [`KEYS`] order.
pub fn syntax_line() -> String {
    let words: Vec<&str> = KEYS.iter().map(|d| d.example).collect();
    format!("Filter syntax: {}", words.join(" "))
}
