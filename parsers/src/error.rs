//! The parsers' error type.

/// Why a record did not parse, or parsed only in part.
///
/// Parsing never fails as a whole: the [`Event`](vedette_model::Event) keeps
/// what was understood and carries this error's text in `error`. Offsets are
/// byte offsets into `event.original` (the record lossily decoded as UTF-8),
/// counted from 0 at its first byte, a byte order mark included.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Nothing was left once trailing newlines, carriage returns and NULs
    /// were removed.
    #[error("{parser}: empty record")]
    Empty {
        /// The parser that gave up (`syslog`).
        parser: &'static str,
    },
    /// The grammar needed `expected` at `offset` and found something else.
    #[error("{parser}: expected {expected} at byte {offset}")]
    Expected {
        /// The parser that gave up: `syslog`, `rfc5424` or `rfc3164`.
        parser: &'static str,
        /// What the grammar needed there (`TIMESTAMP`, `SP`, `PRI`, ...).
        expected: &'static str,
        /// Byte offset into `event.original`.
        offset: usize,
    },
}

impl ParseError {
    /// The parser that gave up.
    pub fn parser(&self) -> &'static str {
        match self {
            ParseError::Empty { parser } | ParseError::Expected { parser, .. } => parser,
        }
    }

    /// Where it gave up, as a byte offset into `event.original`.
    pub fn offset(&self) -> usize {
        match self {
            ParseError::Empty { .. } => 0,
            ParseError::Expected { offset, .. } => *offset,
        }
    }

    /// The same error with its offset moved by `by` bytes (for a parser
    /// that saw only a part of the record).
    pub(crate) fn shifted(self, by: usize) -> Self {
        match self {
            ParseError::Expected {
                parser,
                expected,
                offset,
            } => ParseError::Expected {
                parser,
                expected,
                offset: offset.saturating_add(by),
            },
            e => e,
        }
    }

    pub(crate) fn expected(parser: &'static str, expected: &'static str, offset: usize) -> Self {
        ParseError::Expected {
            parser,
            expected,
            offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        let e = ParseError::expected("rfc5424", "TIMESTAMP", 7);
        assert_eq!(e.to_string(), "rfc5424: expected TIMESTAMP at byte 7");
        assert_eq!(e.parser(), "rfc5424");
        assert_eq!(e.offset(), 7);
        let e = ParseError::Empty { parser: "syslog" };
        assert_eq!(e.to_string(), "syslog: empty record");
        assert_eq!(e.offset(), 0);
    }
}
