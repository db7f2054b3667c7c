//! The index schema and its version.

use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, JsonObjectOptions, NumericOptions,
    Schema, TextFieldIndexing, TextOptions, STORED,
};

use crate::tokenizer;

/// The version of the on-disk layout (schema, analyzers, commit payload)
/// this build reads and writes. Bump it on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// The file beside tantivy's `meta.json` that records [`SCHEMA_VERSION`].
pub(crate) const VERSION_FILE: &str = "vedette-index-version";

/// Field names, as the query parser sees them.
pub(crate) mod name {
    /// The spool sequence number.
    pub const SEQ: &str = "seq";
    /// `@timestamp`.
    pub const TIMESTAMP: &str = "timestamp";
    /// `event.created`: when a collector received the bytes.
    pub const RECEIVED: &str = "received";
    /// `message`, tokenized.
    pub const MESSAGE: &str = "message";
    /// `event.original`, tokenized (only when it differs from `message`).
    pub const ORIGINAL: &str = "original";
    /// The normalized fields, exact and case-insensitive.
    pub const FIELDS: &str = "fields";
    /// The stored `Event::to_json()` text.
    pub const DOC: &str = "doc";
}

/// The schema's fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub seq: Field,
    pub timestamp: Field,
    pub received: Field,
    pub message: Field,
    pub original: Field,
    pub fields: Field,
    pub doc: Field,
}

/// Builds the schema.
pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let seq = b.add_u64_field(
        name::SEQ,
        NumericOptions::default()
            .set_indexed()
            .set_fast()
            .set_stored(),
    );
    let timestamp = b.add_date_field(
        name::TIMESTAMP,
        DateOptions::default()
            .set_indexed()
            .set_fast()
            .set_precision(DateTimePrecision::Nanoseconds),
    );
    let received = b.add_date_field(
        name::RECEIVED,
        DateOptions::default()
            .set_fast()
            .set_precision(DateTimePrecision::Nanoseconds),
    );
    // Results are ordered by time, never by relevance: no field norms.
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer::TEXT)
            .set_fieldnorms(false)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let message = b.add_text_field(name::MESSAGE, text.clone());
    let original = b.add_text_field(name::ORIGINAL, text);
    let fields = b.add_json_field(
        name::FIELDS,
        JsonObjectOptions::default()
            .set_expand_dots_enabled()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer::KEYWORD)
                    .set_fieldnorms(false)
                    .set_index_option(IndexRecordOption::Basic),
            ),
    );
    let doc = b.add_text_field(name::DOC, STORED);
    let fields_ = Fields {
        seq,
        timestamp,
        received,
        message,
        original,
        fields,
        doc,
    };
    (b.build(), fields_)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_deterministic() {
        let (a, fa) = build();
        let (b, _) = build();
        assert_eq!(a, b);
        assert_eq!(a.get_field(name::FIELDS).ok(), Some(fa.fields));
        assert!(a.get_field_entry(fa.fields).field_type().is_indexed());
        assert!(a.get_field_entry(fa.seq).is_fast());
        assert!(a.get_field_entry(fa.doc).is_stored());
    }
}
