use std::path::PathBuf;

/// `Result` with a [`SearchError`].
pub type Result<T, E = SearchError> = std::result::Result<T, E>;

/// Everything that can go wrong indexing or searching events.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The analyst's query is not valid (a client error: HTTP 400).
    #[error("invalid query {query:?}: {reason}")]
    Query {
        /// The query as given (shortened when very long).
        query: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The requested page is outside what the index serves (a client error).
    #[error("invalid page (offset {offset}, limit {limit}): {reason}")]
    Page {
        /// The requested offset.
        offset: usize,
        /// The requested page size.
        limit: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The index directory holds an index this build cannot use.
    #[error("index at {path} has schema version {found}, this build supports version {supported}")]
    Version {
        /// The index directory.
        path: PathBuf,
        /// What was found: a version number, `missing`, ...
        found: String,
        /// The version this build reads and writes.
        supported: u32,
    },
    /// tantivy failed.
    #[error("index {op} failed: {source}")]
    Tantivy {
        /// What was being done: `open`, `commit`, `search`, ...
        op: &'static str,
        /// The tantivy error.
        #[source]
        source: tantivy::TantivyError,
    },
    /// A file operation on the index directory failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Something stored in the index is not what Vedette wrote.
    #[error("corrupt index data ({what}): {reason}")]
    Corrupt {
        /// What was being read: `commit payload`, `stored event`, ...
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl SearchError {
    /// Whether the caller's input is at fault (report it as a 400 with the
    /// message) rather than the index (log it, report a 500).
    pub fn is_user_error(&self) -> bool {
        matches!(self, SearchError::Query { .. } | SearchError::Page { .. })
    }

    /// A query error, keeping at most 200 bytes of the query for display.
    pub(crate) fn query(query: &str, reason: impl Into<String>) -> Self {
        const SHOWN: usize = 200;
        let query = if query.len() > SHOWN {
            let mut end = SHOWN;
            while !query.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}...", &query[..end])
        } else {
            query.to_string()
        };
        SearchError::Query {
            query,
            reason: reason.into(),
        }
    }
}

/// Attaches the operation to a tantivy error.
pub(crate) trait TantivyContext<T> {
    /// Wraps the error as [`SearchError::Tantivy`] for `op`.
    fn op(self, op: &'static str) -> Result<T>;
}

impl<T, E: Into<tantivy::TantivyError>> TantivyContext<T> for std::result::Result<T, E> {
    fn op(self, op: &'static str) -> Result<T> {
        self.map_err(|e| SearchError::Tantivy {
            op,
            source: e.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_errors_are_classified() {
        assert!(SearchError::query("a:", "bad").is_user_error());
        let page = SearchError::Page {
            offset: 1,
            limit: 2,
            reason: "too deep".into(),
        };
        assert!(page.is_user_error());
        let corrupt = SearchError::Corrupt {
            what: "commit payload",
            reason: "x".into(),
        };
        assert!(!corrupt.is_user_error());
    }

    #[test]
    fn long_queries_are_shortened_on_a_char_boundary() {
        let q = "é".repeat(300);
        let SearchError::Query { query, .. } = SearchError::query(&q, "bad") else {
            panic!("not a query error");
        };
        assert!(query.len() <= 203);
        assert!(query.ends_with("..."));
    }
}
