//! The analyzers the schema names, registered on every open index.

use tantivy::tokenizer::{
    LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token, TokenFilter,
    TokenStream, Tokenizer, TokenizerManager,
};

/// Name of the free-text analyzer (`message`, `original`).
pub(crate) const TEXT: &str = "vedette_text";
/// Name of the exact-value analyzer (normalized fields).
pub(crate) const KEYWORD: &str = "vedette_keyword";

/// Field values are indexed (and query values matched) by at most this many
/// leading bytes, cut on a character boundary.
pub const MAX_KEYWORD_BYTES: usize = 256;

/// Words longer than this are not indexed for free text: they are base64
/// blobs, hashes and garbage, not something an analyst types.
const MAX_WORD_BYTES: usize = 100;

/// Registers Vedette's analyzers.
pub(crate) fn register(manager: &TokenizerManager) {
    manager.register(
        TEXT,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
            .filter(LowerCaser)
            .build(),
    );
    manager.register(
        KEYWORD,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .filter(Truncate(MAX_KEYWORD_BYTES))
            .build(),
    );
}

/// A token filter that cuts tokens to at most `.0` bytes, on a character
/// boundary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Truncate(pub usize);

impl TokenFilter for Truncate {
    type Tokenizer<T: Tokenizer> = TruncateTokenizer<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> TruncateTokenizer<T> {
        TruncateTokenizer { max: self.0, inner }
    }
}

/// [`Truncate`] applied to a tokenizer.
#[derive(Debug, Clone)]
pub(crate) struct TruncateTokenizer<T> {
    max: usize,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for TruncateTokenizer<T> {
    type TokenStream<'a> = TruncateStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        TruncateStream {
            max: self.max,
            tail: self.inner.token_stream(text),
        }
    }
}

/// The token stream of a [`TruncateTokenizer`].
pub(crate) struct TruncateStream<S> {
    max: usize,
    tail: S,
}

impl<S: TokenStream> TokenStream for TruncateStream<S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if token.text.len() > self.max {
            let end = floor_char_boundary(&token.text, self.max);
            token.text.truncate(end);
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// The largest char boundary of `s` at or below `max`.
pub(crate) fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(analyzer: &str, text: &str) -> Vec<String> {
        let manager = TokenizerManager::default();
        register(&manager);
        let mut analyzer = manager.get(analyzer).expect("registered");
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        out
    }

    #[test]
    fn keyword_is_whole_lowercased_value() {
        assert_eq!(tokens(KEYWORD, "Web01.Example.COM"), ["web01.example.com"]);
        assert_eq!(tokens(KEYWORD, "10.0.0.5"), ["10.0.0.5"]);
    }

    #[test]
    fn keyword_is_truncated_on_char_boundary() {
        let long = format!("a{}", "é".repeat(200));
        let t = tokens(KEYWORD, &long);
        assert_eq!(t.len(), 1);
        assert!(t[0].len() <= MAX_KEYWORD_BYTES);
        assert!(t[0].len() >= MAX_KEYWORD_BYTES - 1);
        assert!(long.starts_with(&t[0]));
    }

    #[test]
    fn text_splits_lowercases_and_drops_blobs() {
        let blob = "x".repeat(MAX_WORD_BYTES + 1);
        assert_eq!(
            tokens(TEXT, &format!("Failed password {blob} for ROOT")),
            ["failed", "password", "for", "root"]
        );
    }

    #[test]
    fn floor_boundary() {
        assert_eq!(floor_char_boundary("abc", 10), 3);
        assert_eq!(floor_char_boundary("aé", 2), 1);
        assert_eq!(floor_char_boundary("aé", 3), 3);
    }
}
