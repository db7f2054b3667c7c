//! Vedette's event index: every event is indexed in [tantivy] so analysts can
//! search by free text, exact field values and time range, newest first.
//!
//! ```
//! use time::macros::datetime;
//! use vedette_model::{Event, Origin};
//! use vedette_search::{EventIndex, EventQuery};
//!
//! # fn main() -> Result<(), vedette_search::SearchError> {
//! let dir = tempfile::tempdir().expect("temp dir");
//! let index = EventIndex::open(dir.path())?;
//!
//! // The pipeline's single writer adds events and commits through a spool seq.
//! let mut writer = index.writer(32 << 20)?;
//! let at = datetime!(2026-11-25 10:00 UTC);
//! let mut ev = Event::raw(1, at, Origin::new("syslog-udp", None), b"Failed password for root");
//! ev.set("user.name", "root");
//! ev.set("source.ip", "10.0.0.5");
//! writer.add(&ev)?;
//! writer.commit(1)?;
//! assert_eq!(index.committed_seq()?, 1);
//!
//! // The console searches from other threads.
//! let searcher = index.searcher();
//! searcher.reload()?;
//! let page = searcher.search(&EventQuery::text("password user.name:ROOT source.ip:10.0.0.5"))?;
//! assert_eq!(page.total, 1);
//! assert_eq!(page.events[0]["event.id"], "1");
//! # Ok(())
//! # }
//! ```
//!
//! # Concepts
//!
//! - [`EventIndex`] owns the on-disk index (schema version checked on open).
//! - [`EventWriter`] is the one writer; [`EventWriter::commit`] stores the
//!   last indexed spool sequence number atomically with the data, so after a
//!   crash the pipeline replays the spool from [`EventIndex::committed_seq`]
//!   and every event is indexed exactly once.
//! - [`EventSearcher`] is cheap to clone and share between threads; it sees
//!   new commits shortly after they happen.
//!
//! # Query language
//!
//! tantivy's query syntax, with Vedette's field names:
//!
//! - bare words and `"quoted phrases"` search the message and the original
//!   record (tokenized, case-insensitive); `"phrase"~2` allows slop and
//!   `"failed pass"*` matches a prefix;
//! - `field.name:value` matches a normalized field exactly and
//!   case-insensitively: `user.name:root`, `source.ip:10.0.0.5`,
//!   `host.name:"web01"`, `source.port:22`, `sigma.service:sshd`,
//!   `event.id:42`; `user.name: IN [root admin]` matches any of a set;
//! - `message:` and `event.original:` search the text instead, and
//!   `@timestamp:[2026-11-25T00:00:00Z TO *]` is a time range;
//! - `AND`, `OR`, `NOT`, `-term`, `+term` and parentheses; words written next
//!   to each other must all match; `NOT x` alone means everything else;
//! - an empty query matches every event in the time range.
//!
//! Not supported, and reported as [`SearchError::Query`]: `field:*`
//! (exists), ranges and prefixes on normalized fields. Queries are at most
//! [`MAX_QUERY_BYTES`] long. Values longer than [`MAX_KEYWORD_BYTES`] are
//! indexed (and matched) by their first [`MAX_KEYWORD_BYTES`] bytes.
#![deny(missing_docs)]

mod error;
mod fields;
mod index;
mod query;
mod schema;
mod search;
mod tokenizer;
mod writer;

pub use error::{Result, SearchError};
pub use index::EventIndex;
pub use query::{EventQuery, SearchPage, MAX_LIMIT, MAX_QUERY_BYTES, MAX_WINDOW};
pub use schema::SCHEMA_VERSION;
pub use search::EventSearcher;
pub use tokenizer::MAX_KEYWORD_BYTES;
pub use writer::EventWriter;
