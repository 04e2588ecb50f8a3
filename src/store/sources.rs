//! Source records: starting the import of a source (a file, a followed file, a database).

use super::{Result, SourceRecord, SpanWriter, Store};

impl Store {
    /// Records `source` and returns the writer its spans go through.
    pub fn begin_import(&mut self, source: &SourceRecord) -> Result<SpanWriter<'_>> {
        SpanWriter::begin(self, source)
    }
}
