//! RFC 6587 stream framing for syslog over TCP.
//!
//! A [`FrameDecoder`] turns a byte stream into syslog frames. Both framings
//! of RFC 6587 are accepted on the same connection, decided per frame:
//!
//! * **octet counting** (`MSG-LEN SP SYSLOG-MSG`): used when the bytes at a
//!   frame start match `[1-9][0-9]{0,8} <`, that is a length of one to nine
//!   digits without a leading zero, one space, and a message that begins with
//!   `<`. Exactly `MSG-LEN` bytes follow, delivered as they are.
//! * **non-transparent framing**: anything else is a line ending at LF or at a
//!   NUL byte; one trailing CR is stripped. Empty lines are skipped.
//!
//! Memory stays bounded whatever the peer sends: a frame longer than
//! `max_frame` is not dropped, its first `max_frame` bytes are emitted with
//! [`DecodedFrame::truncated`] set and the rest of it is discarded as it
//! arrives (and counted, see [`FrameDecoder::bytes_skipped`]). After draining
//! [`FrameDecoder::next_frame`], the decoder holds at most `max_frame + 2`
//! bytes plus whatever was passed to the last [`FrameDecoder::push`].
//!
//! The decoder is pure and synchronous; the result never depends on how the
//! stream was split into chunks.
//!
//! ```
//! use vedette_collectors::framing::FrameDecoder;
//!
//! let mut dec = FrameDecoder::new(16);
//! dec.push(b"<13>one\r\n8 <13>two\n");
//! dec.push(b"<13>a very long line indeed\n<13>tail");
//! let frames: Vec<_> = std::iter::from_fn(|| dec.next_frame()).collect();
//! assert_eq!(frames[0].bytes, b"<13>one");
//! assert_eq!(frames[1].bytes, b"<13>two\n"); // counted: delivered as sent
//! assert_eq!(frames[2].bytes, b"<13>a very long ");
//! assert!(frames[2].truncated);
//! assert_eq!(frames.len(), 3);
//! // At end of stream the unterminated last line is flushed.
//! assert_eq!(dec.finish().map(|f| f.bytes), Some(b"<13>tail".to_vec()));
//! assert_eq!(dec.finish(), None);
//! ```

use memchr::memchr2;

/// The longest `MSG-LEN` accepted, in digits (RFC 6587 allows any length;
/// nine digits is just under 1 GB, far beyond any sane `max_frame`).
const MAX_LEN_DIGITS: usize = 9;

/// One frame cut from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedFrame {
    /// The frame's bytes, without the length header or the delimiter.
    pub bytes: Vec<u8>,
    /// The frame was longer than `max_frame` (or the stream ended inside an
    /// octet-counted frame) and `bytes` holds only its beginning.
    pub truncated: bool,
}

/// Where the decoder is in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At a frame boundary; the framing of the next frame is not decided yet.
    Start,
    /// Inside a newline-delimited frame whose first `scanned` bytes are known
    /// to hold no delimiter.
    Line { scanned: usize },
    /// Inside an octet-counted frame of `len` bytes (header consumed).
    Counted { len: usize },
    /// Discarding the rest of an over-long line up to its delimiter.
    SkipLine,
    /// Discarding the rest of an over-long counted frame.
    SkipCounted { remaining: usize },
}

/// What the bytes at a frame start say about its framing.
#[derive(Debug, PartialEq, Eq)]
enum Header {
    /// Octet counting: a header of `header_len` bytes, then `msg_len` bytes.
    Counted { header_len: usize, msg_len: usize },
    /// Newline-delimited.
    Line,
    /// Cannot tell yet (a short prefix of a possible length header).
    NeedMore,
}

/// Classifies the bytes at a frame start.
fn classify(b: &[u8]) -> Header {
    let mut msg_len: usize = 0;
    let mut i = 0;
    loop {
        match b.get(i) {
            None => return Header::NeedMore,
            Some(&d @ b'0'..=b'9') => {
                if (i == 0 && d == b'0') || i == MAX_LEN_DIGITS {
                    return Header::Line;
                }
                // At most nine digits: fits in u32, hence in usize.
                msg_len = msg_len * 10 + usize::from(d - b'0');
                i += 1;
            }
            Some(b' ') if i > 0 => {
                return match b.get(i + 1) {
                    None => Header::NeedMore,
                    Some(b'<') => Header::Counted {
                        header_len: i + 1,
                        msg_len,
                    },
                    Some(_) => Header::Line,
                };
            }
            Some(_) => return Header::Line,
        }
    }
}

/// Removes one trailing CR.
fn strip_cr(b: &[u8]) -> &[u8] {
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// A stream decoder for syslog over TCP supporting both RFC 6587 framings.
///
/// Feed it with [`push`](Self::push), take frames with
/// [`next_frame`](Self::next_frame) until it returns `None`, and at end of
/// stream call [`finish`](Self::finish) until it returns `None` to flush the
/// last, unterminated frame. See the [module docs](self) for the rules.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Start of the undecoded bytes in `buf`.
    pos: usize,
    state: State,
    max_frame: usize,
    eof: bool,
    frames: u64,
    truncated: u64,
    skipped: u64,
}

impl FrameDecoder {
    /// A decoder emitting frames of at most `max_frame` bytes (at least 1).
    pub fn new(max_frame: usize) -> Self {
        FrameDecoder {
            buf: Vec::new(),
            pos: 0,
            state: State::Start,
            max_frame: max_frame.max(1),
            eof: false,
            frames: 0,
            truncated: 0,
            skipped: 0,
        }
    }

    /// The largest frame this decoder emits.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// Appends bytes read from the stream.
    ///
    /// Bytes that belong to the discarded tail of an over-long frame are
    /// dropped here without being buffered. Pushing after [`finish`](Self::finish)
    /// resumes decoding as if the stream had not ended.
    pub fn push(&mut self, data: &[u8]) {
        self.eof = false;
        let mut data = data;
        if self.pos >= self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            match self.state {
                State::SkipLine => match memchr2(b'\n', 0, data) {
                    Some(i) => {
                        self.skipped += i as u64;
                        data = data.get(i + 1..).unwrap_or_default();
                        self.state = State::Start;
                    }
                    None => {
                        self.skipped += data.len() as u64;
                        return;
                    }
                },
                State::SkipCounted { remaining } => {
                    let n = remaining.min(data.len());
                    self.skipped += n as u64;
                    data = data.get(n..).unwrap_or_default();
                    if n == remaining {
                        self.state = State::Start;
                    } else {
                        self.state = State::SkipCounted {
                            remaining: remaining - n,
                        };
                        return;
                    }
                }
                _ => {}
            }
        } else if self.pos > 0 && self.pos >= self.buf.len() - self.pos {
            // Compact only when at least as many bytes were consumed as are
            // kept, so the copying is amortised over the consumed bytes.
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Marks the end of the stream and returns the next remaining frame.
    ///
    /// Call it until it returns `None`: it yields any complete frames still
    /// buffered, then the last line even without a delimiter, and the bytes
    /// of an octet-counted frame cut short by the end of stream (marked
    /// truncated). An undecided length prefix is taken as the start of a line.
    pub fn finish(&mut self) -> Option<DecodedFrame> {
        self.eof = true;
        self.next_frame()
    }

    /// Bytes buffered and not yet emitted as frames.
    pub fn pending(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Frames emitted so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Frames emitted truncated so far.
    pub fn frames_truncated(&self) -> u64 {
        self.truncated
    }

    /// Bytes discarded so far from the tails of over-long frames.
    pub fn bytes_skipped(&self) -> u64 {
        self.skipped
    }

    /// Drops everything buffered, e.g. at shutdown, returning how many
    /// bytes were dropped. Counters are kept.
    pub fn discard_pending(&mut self) -> usize {
        let n = self.pending();
        self.buf.clear();
        self.pos = 0;
        self.state = State::Start;
        n
    }

    fn avail(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    fn emit(&mut self, bytes: Vec<u8>, truncated: bool) -> DecodedFrame {
        self.frames += 1;
        if truncated {
            self.truncated += 1;
        }
        DecodedFrame { bytes, truncated }
    }

    /// Emits the first `max_frame` bytes of the current line and skips the
    /// rest of it. The caller ensures more than `max_frame` bytes are there.
    fn truncate_line(&mut self) -> DecodedFrame {
        let take = self.max_frame.min(self.pending());
        let bytes = self.avail().get(..take).unwrap_or_default().to_vec();
        self.pos += take;
        self.state = State::SkipLine;
        self.emit(bytes, true)
    }

    /// Returns the next complete frame, or `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Option<DecodedFrame> {
        loop {
            let avail = self.avail();
            match self.state {
                State::Start => {
                    if avail.is_empty() {
                        return None;
                    }
                    match classify(avail) {
                        Header::Counted {
                            header_len,
                            msg_len,
                        } => {
                            self.pos += header_len;
                            self.state = State::Counted { len: msg_len };
                        }
                        Header::NeedMore if !self.eof => return None,
                        Header::NeedMore | Header::Line => self.state = State::Line { scanned: 0 },
                    }
                }
                State::Line { scanned } => {
                    let window_end = avail.len().min(self.max_frame.saturating_add(2));
                    let found = avail
                        .get(scanned..window_end)
                        .and_then(|w| memchr2(b'\n', 0, w))
                        .map(|i| i + scanned);
                    match found {
                        Some(i) => {
                            let content = strip_cr(avail.get(..i).unwrap_or_default());
                            if content.len() > self.max_frame {
                                return Some(self.truncate_line());
                            }
                            let bytes = content.to_vec();
                            self.pos += i + 1;
                            self.state = State::Start;
                            if !bytes.is_empty() {
                                return Some(self.emit(bytes, false));
                            }
                        }
                        None if window_end > self.max_frame.saturating_add(1) => {
                            // max_frame + 2 bytes without a delimiter: even
                            // with a CR stripped the line is too long.
                            return Some(self.truncate_line());
                        }
                        None if self.eof => {
                            let content = strip_cr(avail);
                            if content.len() > self.max_frame {
                                return Some(self.truncate_line());
                            }
                            let bytes = content.to_vec();
                            self.pos = self.buf.len();
                            self.state = State::Start;
                            if !bytes.is_empty() {
                                return Some(self.emit(bytes, false));
                            }
                        }
                        None => {
                            self.state = State::Line {
                                scanned: window_end,
                            };
                            return None;
                        }
                    }
                }
                State::Counted { len } => {
                    let want = len.min(self.max_frame);
                    if let Some(bytes) = avail.get(..want) {
                        let bytes = bytes.to_vec();
                        self.pos += want;
                        let truncated = len > want;
                        self.state = if truncated {
                            State::SkipCounted {
                                remaining: len - want,
                            }
                        } else {
                            State::Start
                        };
                        return Some(self.emit(bytes, truncated));
                    }
                    if !self.eof {
                        return None;
                    }
                    // The stream ended inside the frame: keep what came.
                    let bytes = avail.to_vec();
                    self.pos = self.buf.len();
                    self.state = State::Start;
                    if !bytes.is_empty() {
                        return Some(self.emit(bytes, true));
                    }
                }
                State::SkipLine => match memchr2(b'\n', 0, avail) {
                    Some(i) => {
                        self.skipped += i as u64;
                        self.pos += i + 1;
                        self.state = State::Start;
                    }
                    None => {
                        self.skipped += avail.len() as u64;
                        self.pos = self.buf.len();
                        if self.eof {
                            self.state = State::Start;
                        }
                        return None;
                    }
                },
                State::SkipCounted { remaining } => {
                    let n = remaining.min(avail.len());
                    self.skipped += n as u64;
                    self.pos += n;
                    if n == remaining {
                        self.state = State::Start;
                    } else {
                        self.state = State::SkipCounted {
                            remaining: remaining - n,
                        };
                        if self.eof {
                            self.state = State::Start;
                        }
                        return None;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Decodes `chunks` one after the other, draining after each push.
    fn decode_chunks<'a>(
        max: usize,
        chunks: impl IntoIterator<Item = &'a [u8]>,
    ) -> Vec<DecodedFrame> {
        let mut dec = FrameDecoder::new(max);
        let mut out = Vec::new();
        for c in chunks {
            dec.push(c);
            while let Some(f) = dec.next_frame() {
                out.push(f);
            }
        }
        while let Some(f) = dec.finish() {
            out.push(f);
        }
        out
    }

    fn decode(max: usize, stream: &[u8]) -> Vec<DecodedFrame> {
        decode_chunks(max, [stream])
    }

    fn bytes_of(frames: &[DecodedFrame]) -> Vec<&[u8]> {
        frames.iter().map(|f| f.bytes.as_slice()).collect()
    }

    fn whole(b: &[u8]) -> DecodedFrame {
        DecodedFrame {
            bytes: b.to_vec(),
            truncated: false,
        }
    }

    #[test]
    fn classify_headers() {
        assert_eq!(
            classify(b"12 <x"),
            Header::Counted {
                header_len: 3,
                msg_len: 12
            }
        );
        assert_eq!(classify(b"1"), Header::NeedMore);
        assert_eq!(classify(b"12 "), Header::NeedMore);
        assert_eq!(classify(b"012 <"), Header::Line);
        assert_eq!(classify(b"12 x"), Header::Line);
        assert_eq!(classify(b"12x"), Header::Line);
        assert_eq!(classify(b" 12"), Header::Line);
        assert_eq!(classify(b"<13>"), Header::Line);
        assert_eq!(
            classify(b"999999999 <"),
            Header::Counted {
                header_len: 10,
                msg_len: 999_999_999
            }
        );
        assert_eq!(classify(b"1234567890 <"), Header::Line);
    }

    #[test]
    fn newline_framing() {
        let got = decode(100, b"<1>a\n<2>b\r\n\n\r\n<3>c\0<4>d");
        assert_eq!(bytes_of(&got), [&b"<1>a"[..], b"<2>b", b"<3>c", b"<4>d"]);
        assert!(got.iter().all(|f| !f.truncated));
    }

    #[test]
    fn octet_counting_keeps_bytes_verbatim() {
        let got = decode(100, b"6 <1>a\nb4 <2>c");
        assert_eq!(got, [whole(b"<1>a\nb"), whole(b"<2>c")]);
    }

    #[test]
    fn mixed_on_one_connection() {
        let got = decode(100, b"<1>line\n4 <2>x\n<3>next\n5 <4>yz");
        assert_eq!(
            bytes_of(&got),
            [&b"<1>line"[..], b"<2>x", b"<3>next", b"<4>yz"]
        );
    }

    #[test]
    fn digits_that_are_not_a_header_make_a_line() {
        let got = decode(100, b"12 apples\n0 <x\n");
        assert_eq!(bytes_of(&got), [&b"12 apples"[..], b"0 <x"]);
    }

    #[test]
    fn long_line_is_truncated_and_next_is_intact() {
        let got = decode(4, b"abcdefgh\nxy\n");
        assert_eq!(
            got,
            [
                DecodedFrame {
                    bytes: b"abcd".to_vec(),
                    truncated: true
                },
                whole(b"xy")
            ]
        );
    }

    #[test]
    fn line_at_limit_with_crlf_is_whole() {
        assert_eq!(decode(4, b"abcd\r\nxy"), [whole(b"abcd"), whole(b"xy")]);
        assert_eq!(decode(4, b"abcd\nabcd"), [whole(b"abcd"), whole(b"abcd")]);
        let got = decode(4, b"abcde\n");
        assert!(got.len() == 1 && got.iter().all(|f| f.truncated));
        let got = decode(4, b"abcde");
        assert_eq!(got.len(), 1);
        assert!(got.iter().all(|f| f.truncated && f.bytes == b"abcd"));
    }

    #[test]
    fn long_counted_frame_is_truncated_by_count() {
        let mut dec = FrameDecoder::new(4);
        dec.push(b"10 <1>456789");
        let f = dec.next_frame();
        assert_eq!(
            f,
            Some(DecodedFrame {
                bytes: b"<1>4".to_vec(),
                truncated: true
            })
        );
        // One byte of the first frame is still to come, then a frame of 12
        // bytes of which only "<1>ok" arrives before the end of stream.
        dec.push(b"012 <1>ok");
        assert_eq!(
            dec.next_frame(),
            Some(DecodedFrame {
                bytes: b"<1>o".to_vec(),
                truncated: true
            })
        );
        assert_eq!(dec.next_frame(), None);
        assert_eq!(dec.finish(), None);
        assert_eq!(dec.bytes_skipped(), 6 + 1);
        assert_eq!(dec.frames_truncated(), 2);
    }

    #[test]
    fn eof_inside_counted_frame_emits_partial() {
        let got = decode(100, b"10 <1>ab");
        assert_eq!(
            got,
            [DecodedFrame {
                bytes: b"<1>ab".to_vec(),
                truncated: true
            }]
        );
        // An undecided prefix at EOF is a line.
        assert_eq!(decode(100, b"12 "), [whole(b"12 ")]);
    }

    #[test]
    fn memory_stays_bounded_on_endless_line() {
        let max = 1024;
        let chunk = vec![b'a'; 64 * 1024];
        let mut dec = FrameDecoder::new(max);
        let mut frames = 0;
        for _ in 0..160 {
            dec.push(&chunk);
            while let Some(f) = dec.next_frame() {
                assert!(f.truncated && f.bytes.len() == max);
                frames += 1;
            }
            assert!(dec.pending() <= max + 2 + chunk.len());
            assert!(dec.buf.capacity() <= 4 * (max + chunk.len()));
        }
        dec.push(b"\n<1>next\n");
        assert_eq!(dec.next_frame(), Some(whole(b"<1>next")));
        assert_eq!(frames, 1);
        assert_eq!(dec.bytes_skipped(), 160 * 64 * 1024 - max as u64);
    }

    #[test]
    fn huge_octet_count_is_skipped_by_count() {
        let mut dec = FrameDecoder::new(8);
        dec.push(b"999999999 <");
        let chunk = vec![b'x'; 1 << 20];
        let mut got = Vec::new();
        for _ in 0..4 {
            dec.push(&chunk);
            got.extend(std::iter::from_fn(|| dec.next_frame()));
            assert!(dec.pending() <= chunk.len());
        }
        assert_eq!(got.len(), 1);
        assert!(got.iter().all(|f| f.truncated && f.bytes == b"<xxxxxxx"));
    }

    #[test]
    fn push_after_finish_resumes() {
        let mut dec = FrameDecoder::new(100);
        dec.push(b"<1>a\n");
        assert_eq!(dec.finish(), Some(whole(b"<1>a")));
        assert_eq!(dec.finish(), None);
        dec.push(b"<2>b\n");
        assert_eq!(dec.next_frame(), Some(whole(b"<2>b")));
    }

    /// One frame to encode: a line or an octet-counted message.
    #[derive(Debug, Clone)]
    enum Item {
        Line(Vec<u8>),
        Counted(Vec<u8>),
        Raw(Vec<u8>),
    }

    fn item() -> impl Strategy<Value = Item> {
        let line = proptest::collection::vec(any::<u8>(), 0..40).prop_map(|b| {
            let mut v = b"<".to_vec();
            v.extend(b.into_iter().filter(|&c| c != b'\n' && c != 0));
            while v.last() == Some(&b'\r') {
                v.pop();
            }
            v
        });
        let msg = proptest::collection::vec(any::<u8>(), 0..40).prop_map(|b| {
            let mut v = b"<".to_vec();
            v.extend(b);
            v
        });
        prop_oneof![
            line.prop_map(Item::Line),
            msg.prop_map(Item::Counted),
            proptest::collection::vec(
                prop_oneof![
                    Just(b'1'),
                    Just(b' '),
                    Just(b'<'),
                    Just(b'\n'),
                    Just(b'\r'),
                    any::<u8>()
                ],
                0..20
            )
            .prop_map(Item::Raw),
        ]
    }

    fn encode(items: &[Item], crlf: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for it in items {
            match it {
                Item::Line(b) => {
                    out.extend_from_slice(b);
                    out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                }
                Item::Counted(b) => {
                    out.extend_from_slice(format!("{} ", b.len()).as_bytes());
                    out.extend_from_slice(b);
                }
                Item::Raw(b) => out.extend_from_slice(b),
            }
        }
        out
    }

    /// Splits `data` at the given cut points.
    fn split<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
        cuts.sort_unstable();
        let mut out = Vec::new();
        let mut prev = 0;
        for c in cuts {
            out.push(&data[prev..c]);
            prev = c;
        }
        out.push(&data[prev..]);
        out
    }

    proptest! {
        #[test]
        fn chunk_boundaries_do_not_matter(
            items in proptest::collection::vec(item(), 0..20),
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
            max in 1usize..64,
            crlf in any::<bool>(),
        ) {
            let stream = encode(&items, crlf);
            let one = decode(max, &stream);
            let chunked = decode_chunks(max, split(&stream, &cuts));
            prop_assert_eq!(&one, &chunked);
            let bytewise = decode_chunks(max, stream.chunks(1));
            prop_assert_eq!(&one, &bytewise);
            for f in &one {
                prop_assert!(f.bytes.len() <= max);
                prop_assert!(!f.bytes.is_empty());
            }
        }

        #[test]
        fn well_formed_frames_roundtrip(
            items in proptest::collection::vec(item(), 0..20),
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
            crlf in any::<bool>(),
        ) {
            let items: Vec<Item> = items.into_iter().filter(|i| !matches!(i, Item::Raw(_))).collect();
            let stream = encode(&items, crlf);
            let got = decode_chunks(1000, split(&stream, &cuts));
            let want: Vec<DecodedFrame> = items
                .iter()
                .map(|i| match i {
                    Item::Line(b) | Item::Counted(b) | Item::Raw(b) => whole(b),
                })
                .collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn arbitrary_bytes_never_panic(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..16),
            max in 0usize..32,
        ) {
            let frames = decode_chunks(max, chunks.iter().map(Vec::as_slice));
            for f in frames {
                prop_assert!(f.bytes.len() <= max.max(1));
            }
        }
    }
}
