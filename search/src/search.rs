//! Searching, from any thread.

use std::sync::Arc;

use tantivy::collector::{Count, TopDocs};
use tantivy::columnar::Column;
use tantivy::query::{QueryParser, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, DocId, IndexReader, Searcher, SegmentReader, TantivyDocument, Term};

use crate::error::{Result, SearchError, TantivyContext};
use crate::index::EventIndex;
use crate::query::{EventQuery, SearchPage};
use crate::schema::{name, Fields};

/// Searches the index. Cheap to clone; share it between threads.
///
/// It sees a commit shortly (well under a second) after it happens;
/// [`EventSearcher::reload`] makes it see the latest commit now.
#[derive(Clone)]
pub struct EventSearcher {
    inner: Arc<Inner>,
}

struct Inner {
    reader: IndexReader,
    parser: QueryParser,
    fields: Fields,
}

impl std::fmt::Debug for EventSearcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSearcher").finish_non_exhaustive()
    }
}

impl EventSearcher {
    pub(crate) fn new(index: &EventIndex, reader: IndexReader) -> Self {
        let fields = index.fields;
        let mut parser =
            QueryParser::for_index(&index.index, vec![fields.message, fields.original]);
        parser.set_conjunction_by_default();
        EventSearcher {
            inner: Arc::new(Inner {
                reader,
                parser,
                fields,
            }),
        }
    }

    /// Makes the latest commit visible now.
    pub fn reload(&self) -> Result<()> {
        self.inner.reader.reload().op("reload")
    }

    /// Runs a search: the matching events, newest first, one page of them,
    /// and how many match in all.
    pub fn search(&self, q: &EventQuery) -> Result<SearchPage> {
        q.check_page()?;
        let inner = &*self.inner;
        let query = q.to_query(&inner.parser, &inner.fields)?;
        let searcher = inner.reader.searcher();
        let (total, hits) = if q.limit == 0 {
            (searcher.search(&*query, &Count).op("search")?, Vec::new())
        } else {
            let top = TopDocs::with_limit(q.limit)
                .and_offset(q.offset)
                .custom_score(NewestFirst);
            searcher.search(&*query, &(Count, top)).op("search")?
        };
        let mut events = Vec::with_capacity(hits.len());
        for (_, addr) in hits {
            events.push(self.load(&searcher, addr)?);
        }
        Ok(SearchPage {
            total: total as u64,
            events,
        })
    }

    /// The event with spool sequence number `seq`, when it is indexed.
    pub fn get(&self, seq: u64) -> Result<Option<serde_json::Value>> {
        let inner = &*self.inner;
        let term = Term::from_field_u64(inner.fields.seq, seq);
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let searcher = inner.reader.searcher();
        let hits = searcher
            .search(&query, &TopDocs::with_limit(1).custom_score(NewestFirst))
            .op("search")?;
        match hits.first() {
            Some(&(_, addr)) => Ok(Some(self.load(&searcher, addr)?)),
            None => Ok(None),
        }
    }

    /// The stored event JSON of a hit.
    fn load(&self, searcher: &Searcher, addr: DocAddress) -> Result<serde_json::Value> {
        let doc: TantivyDocument = searcher.doc(addr).op("read event")?;
        let text = doc
            .get_first(self.inner.fields.doc)
            .and_then(|v| v.as_str())
            .ok_or_else(|| SearchError::Corrupt {
                what: "stored event",
                reason: format!("{addr:?} has no `{}` field", name::DOC),
            })?;
        serde_json::from_str(text).map_err(|e| SearchError::Corrupt {
            what: "stored event",
            reason: format!("{addr:?}: {e}"),
        })
    }
}

/// Orders hits by `@timestamp`, then seq, both descending (the top docs
/// collector keeps the highest scores).
struct NewestFirst;

struct NewestFirstSegment {
    timestamp: Column<tantivy::DateTime>,
    seq: Column<u64>,
}

impl tantivy::collector::CustomScorer<(i64, u64)> for NewestFirst {
    type Child = NewestFirstSegment;

    fn segment_scorer(&self, segment_reader: &SegmentReader) -> tantivy::Result<Self::Child> {
        let fast = segment_reader.fast_fields();
        Ok(NewestFirstSegment {
            timestamp: fast.date(name::TIMESTAMP)?,
            seq: fast.u64(name::SEQ)?,
        })
    }
}

impl tantivy::collector::CustomSegmentScorer<(i64, u64)> for NewestFirstSegment {
    fn score(&mut self, doc: DocId) -> (i64, u64) {
        let ts = self
            .timestamp
            .first(doc)
            .map_or(i64::MIN, |t| t.into_timestamp_nanos());
        (ts, self.seq.first(doc).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::MAX_QUERY_BYTES;
    use crate::EventWriter;
    use time::macros::datetime;
    use time::{Duration, OffsetDateTime};
    use vedette_model::{Event, LogSource, Origin};

    const T0: OffsetDateTime = datetime!(2026-11-25 10:00 UTC);

    fn sshd(seq: u64, at: OffsetDateTime, user: &str, ip: &str, outcome: &str) -> Event {
        let line = format!("sshd[42]: Failed password for {user} from {ip} port 22 ssh2");
        let mut ev = Event::raw(
            seq,
            T0,
            Origin::new("syslog-udp", Some("192.168.1.9:514".parse().expect("addr"))),
            format!("<38>Nov 25 10:00:00 web01 {line}").as_bytes(),
        );
        ev.timestamp = at;
        ev.set("message", line);
        ev.set("host.name", "Web01");
        ev.set("user.name", user);
        ev.set("source.ip", ip);
        ev.set("source.port", 22i64);
        ev.set("event.outcome", outcome);
        ev.logsource = LogSource::new(Some("linux"), None, &["sshd", "auth"]);
        ev
    }

    /// An index with `events` committed through the last seq, and a searcher.
    fn indexed(events: &[Event]) -> (tempfile::TempDir, EventIndex, EventSearcher) {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = EventIndex::open(dir.path()).expect("open");
        let mut w = index.writer(20 << 20).expect("writer");
        for ev in events {
            w.add(ev).expect("add");
        }
        w.commit(events.iter().map(|e| e.seq).max().unwrap_or(0))
            .expect("commit");
        let s = index.searcher();
        s.reload().expect("reload");
        (dir, index, s)
    }

    fn sample() -> Vec<Event> {
        vec![
            sshd(1, T0, "root", "10.0.0.5", "failure"),
            sshd(2, T0 + Duration::seconds(1), "alice", "10.0.0.6", "failure"),
            sshd(
                3,
                T0 + Duration::seconds(2),
                "Admin",
                "10.0.0.50",
                "success",
            ),
        ]
    }

    fn seqs(s: &EventSearcher, q: &str) -> Vec<String> {
        let page = s.search(&EventQuery::text(q)).expect(q);
        assert_eq!(page.total as usize, page.events.len(), "{q}");
        page.events
            .iter()
            .map(|e| e["event.id"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn free_text_words_and_phrases() {
        let (_d, _i, s) = indexed(&sample());
        assert_eq!(seqs(&s, "password"), ["3", "2", "1"]);
        assert_eq!(seqs(&s, "PASSWORD alice"), ["2"]);
        assert_eq!(seqs(&s, "\"password for alice\""), ["2"]);
        assert!(seqs(&s, "\"alice password\"").is_empty());
        // Only in the original record (the syslog header).
        assert_eq!(seqs(&s, "web01").len(), 3);
        assert_eq!(seqs(&s, "message:alice"), ["2"]);
        assert!(seqs(&s, "message:web01").is_empty());
        assert_eq!(seqs(&s, "event.original:web01").len(), 3);
        assert!(seqs(&s, "nosuchword").is_empty());
    }

    #[test]
    fn field_values_match_exactly_ignoring_case() {
        let (_d, _i, s) = indexed(&sample());
        assert_eq!(seqs(&s, "user.name:root"), ["1"]);
        assert_eq!(seqs(&s, "user.name:ROOT"), ["1"]);
        assert_eq!(seqs(&s, "user.name:admin"), ["3"]);
        assert!(seqs(&s, "user.name:roo").is_empty());
        assert_eq!(seqs(&s, "host.name:web01").len(), 3);
        assert_eq!(seqs(&s, "host.name:\"WEB01\"").len(), 3);
        assert_eq!(seqs(&s, "source.port:22").len(), 3);
        assert_eq!(seqs(&s, "sigma.service:auth").len(), 3);
        assert_eq!(seqs(&s, "sigma.product:linux").len(), 3);
        assert_eq!(seqs(&s, "input.type:syslog-udp").len(), 3);
        assert_eq!(seqs(&s, "log.source.address:\"192.168.1.9:514\"").len(), 3);
        assert_eq!(seqs(&s, "event.id:2"), ["2"]);
        assert!(seqs(&s, "no.such.field:x").is_empty());
    }

    #[test]
    fn dotted_ips_match_whole() {
        let (_d, _i, s) = indexed(&sample());
        assert_eq!(seqs(&s, "source.ip:10.0.0.5"), ["1"]);
        assert_eq!(seqs(&s, "source.ip:\"10.0.0.5\""), ["1"]);
        assert_eq!(seqs(&s, "source.ip:10.0.0.50"), ["3"]);
        assert!(seqs(&s, "source.ip:10.0.0").is_empty());
        // As free text an IP is a phrase of numbers.
        assert_eq!(seqs(&s, "\"10.0.0.5\""), ["1"]);
    }

    #[test]
    fn boolean_operators() {
        let (_d, _i, s) = indexed(&sample());
        assert_eq!(seqs(&s, "user.name:root AND event.outcome:failure"), ["1"]);
        assert_eq!(seqs(&s, "user.name:root event.outcome:failure"), ["1"]);
        assert_eq!(seqs(&s, "user.name:root OR user.name:alice"), ["2", "1"]);
        assert_eq!(
            seqs(
                &s,
                "(user.name:root OR user.name:alice) AND NOT source.ip:10.0.0.6"
            ),
            ["1"]
        );
        assert_eq!(seqs(&s, "password -user.name:alice"), ["3", "1"]);
        assert_eq!(seqs(&s, "NOT event.outcome:failure"), ["3"]);
        assert_eq!(seqs(&s, "-event.outcome:failure"), ["3"]);
        assert_eq!(seqs(&s, "user.name: IN [root alice]"), ["2", "1"]);
        assert_eq!(seqs(&s, "*").len(), 3);
        // Phrase prefix works on text (field values are exact only).
        assert_eq!(seqs(&s, "\"password for ali\"*"), ["2"]);
        let err = s
            .search(&EventQuery::text("user.name:\"ad\"*"))
            .expect_err("prefix on a field");
        assert!(err.is_user_error());
    }

    #[test]
    fn time_range_is_half_open() {
        let (_d, _i, s) = indexed(&sample());
        let q = |from, to| {
            let page = s
                .search(&EventQuery::default().between(from, to))
                .expect("search");
            (page.total, page.events.len())
        };
        assert_eq!(q(None, None), (3, 3));
        assert_eq!(q(Some(T0), None), (3, 3));
        assert_eq!(q(Some(T0 + Duration::milliseconds(1)), None), (2, 2));
        assert_eq!(q(None, Some(T0 + Duration::seconds(2))), (2, 2));
        assert_eq!(q(Some(T0), Some(T0 + Duration::seconds(1))), (1, 1));
        assert_eq!(q(Some(T0 + Duration::seconds(5)), Some(T0)), (0, 0));
        let page = s
            .search(
                &EventQuery::text("event.outcome:failure")
                    .between(Some(T0 + Duration::seconds(1)), None),
            )
            .expect("search");
        assert_eq!(page.total, 1);
        assert_eq!(
            seqs(&s, "@timestamp:[2026-11-25T10:00:01Z TO *]"),
            ["3", "2"]
        );
    }

    #[test]
    fn pages_are_newest_first_and_stable() {
        // 25 events over 5 distinct timestamps, added out of order.
        let mut evs: Vec<Event> = (1..=25u64)
            .map(|seq| {
                let at = T0 + Duration::seconds((seq % 5) as i64);
                sshd(seq, at, "root", "10.0.0.1", "failure")
            })
            .collect();
        evs.reverse();
        let (_d, _i, s) = indexed(&evs);
        let mut expected: Vec<(i64, u64)> =
            (1..=25u64).map(|seq| ((seq % 5) as i64, seq)).collect();
        expected.sort_by(|a, b| b.cmp(a));
        let expected: Vec<String> = expected.iter().map(|(_, seq)| seq.to_string()).collect();

        let mut got = Vec::new();
        for page_no in 0..4 {
            let page = s
                .search(&EventQuery::text("user.name:root").page(page_no * 7, 7))
                .expect("search");
            assert_eq!(page.total, 25);
            got.extend(
                page.events
                    .iter()
                    .map(|e| e["event.id"].as_str().unwrap_or_default().to_string()),
            );
        }
        assert_eq!(got, expected);
        let count_only = s.search(&EventQuery::default().page(0, 0)).expect("count");
        assert_eq!((count_only.total, count_only.events.len()), (25, 0));
        let past_end = s
            .search(&EventQuery::default().page(100, 10))
            .expect("past end");
        assert_eq!((past_end.total, past_end.events.len()), (25, 0));
    }

    #[test]
    fn page_limits_are_user_errors() {
        let (_d, _i, s) = indexed(&sample());
        let err = s
            .search(&EventQuery::default().page(0, 1001))
            .expect_err("limit");
        assert!(err.is_user_error());
        let err = s
            .search(&EventQuery::default().page(99_999, 2))
            .expect_err("window");
        assert!(matches!(err, SearchError::Page { .. }), "{err}");
    }

    #[test]
    fn results_are_the_stored_event_json() {
        let evs = sample();
        let (_d, _i, s) = indexed(&evs);
        let page = s
            .search(&EventQuery::text("user.name:root"))
            .expect("search");
        assert_eq!(page.events, [evs[0].to_json()]);
        assert_eq!(s.get(2).expect("get"), Some(evs[1].to_json()));
        assert_eq!(s.get(99).expect("get"), None);
    }

    #[test]
    fn committed_seq_survives_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let index = EventIndex::open(dir.path()).expect("open");
            let mut w = index.writer(20 << 20).expect("writer");
            for ev in sample() {
                w.add(&ev).expect("add");
            }
            w.commit(1234).expect("commit");
            // Added but never committed: lost on "crash".
            w.add(&sshd(4, T0, "bob", "10.0.0.7", "failure"))
                .expect("add");
        }
        let index = EventIndex::open(dir.path()).expect("reopen");
        assert_eq!(index.committed_seq().expect("seq"), 1234);
        let s = index.searcher();
        let page = s.search(&EventQuery::default()).expect("search");
        assert_eq!(page.total, 3);
        assert!(s.get(4).expect("get").is_none());
    }

    #[test]
    fn huge_and_garbage_lines_are_findable() {
        let mut big = Vec::with_capacity(110_000);
        let mut x: u32 = 12345;
        while big.len() < 100_000 {
            // Pseudo-random bytes, some of them spaces, none a valid word.
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            big.push(if x.is_multiple_of(7) {
                b' '
            } else {
                (x >> 16) as u8
            });
        }
        big.extend_from_slice(b" needle-in-haystack ");
        big.extend(std::iter::repeat_n(b'z', 5000));
        let huge = Event::raw(1, T0, Origin::new("import", None), &big);
        let mut invalid = Event::raw(
            2,
            T0,
            Origin::new("import", None),
            b"\xff\xfe bad \xc3( utf8 marker\xe2\x82 zebra",
        );
        invalid.set("user.name", "x".repeat(10_000));
        invalid.error = Some("unparsable".into());
        let (_d, _i, s) = indexed(&[huge, invalid]);
        assert_eq!(seqs(&s, "haystack"), ["1"]);
        assert_eq!(seqs(&s, "\"needle in haystack\""), ["1"]);
        assert_eq!(seqs(&s, "zebra"), ["2"]);
        assert_eq!(seqs(&s, "marker utf8"), ["2"]);
        assert_eq!(seqs(&s, "error.message:unparsable"), ["2"]);
        // A long value matches by its first bytes, whole or cut.
        assert_eq!(seqs(&s, &format!("user.name:{}", "x".repeat(300))), ["2"]);
        let got = s.get(1).expect("get").expect("found");
        assert!(got["event.original"].as_str().unwrap_or_default().len() >= 100_000);
    }

    #[test]
    fn bad_queries_are_user_errors() {
        let (_d, _i, s) = indexed(&sample());
        for q in [
            "user.name:(root",
            "\"unclosed",
            "a AND",
            "user.name:*",
            "source.port:[1 TO 100]",
            "@timestamp:yesterday",
            "[a TO b]",
            &"(".repeat(100),
            &"NOT ".repeat(100),
            &"a ".repeat(MAX_QUERY_BYTES),
        ] {
            let err = s.search(&EventQuery::text(q)).expect_err(q);
            assert!(err.is_user_error(), "{q}: {err}");
            assert!(matches!(err, SearchError::Query { .. }), "{q}: {err}");
        }
    }

    #[test]
    fn deep_but_allowed_nesting_works() {
        let (_d, _i, s) = indexed(&sample());
        let q = format!("{}user.name:root{}", "(".repeat(20), ")".repeat(20));
        assert_eq!(seqs(&s, &q), ["1"]);
        let q = format!("{}user.name:root", "NOT ".repeat(4));
        assert_eq!(seqs(&s, &q), ["1"]);
    }

    #[test]
    fn organizations_restrict_results() {
        let mut events = sample();
        events[0].set("organization.id", "So-TTTT");
        events[1].set("organization.id", "so-yte");
        let (_d, _i, s) = indexed(&events);
        let page = |orgs: Option<Vec<&str>>, text: Option<&str>| {
            let p = s
                .search(&EventQuery {
                    text: text.map(str::to_string),
                    orgs: orgs.map(|o| o.into_iter().map(str::to_string).collect()),
                    ..EventQuery::default()
                })
                .expect("search");
            p.events
                .iter()
                .map(|e| e["event.id"].as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(page(None, None), ["3", "2", "1"]);
        assert_eq!(page(Some(vec!["so-tttt"]), None), ["1"]);
        assert_eq!(page(Some(vec!["so-tttt", "SO-YTE"]), None), ["2", "1"]);
        assert_eq!(
            page(Some(vec!["so-tttt"]), Some("alice")),
            Vec::<String>::new()
        );
        assert_eq!(page(Some(vec![]), None), Vec::<String>::new());
        // A query naming another tenant's field cannot widen the scope.
        assert_eq!(
            page(
                Some(vec!["so-tttt"]),
                Some("organization.id:so-yte OR user.name:root")
            ),
            ["1"]
        );
    }

    #[test]
    fn blank_query_matches_everything() {
        let (_d, _i, s) = indexed(&sample());
        for q in [None, Some(""), Some("   ")] {
            let page = s
                .search(&EventQuery {
                    text: q.map(str::to_string),
                    ..EventQuery::default()
                })
                .expect("search");
            assert_eq!(page.total, 3);
        }
    }

    #[test]
    fn searcher_sees_commits_without_reload() {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = EventIndex::open(dir.path()).expect("open");
        let s = index.searcher();
        let reader = {
            let s = s.clone();
            std::thread::spawn(move || {
                for _ in 0..200 {
                    if s.search(&EventQuery::default()).is_ok_and(|p| p.total == 1) {
                        return true;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                false
            })
        };
        let mut w = index.writer(20 << 20).expect("writer");
        w.add(&sshd(1, T0, "root", "10.0.0.1", "failure"))
            .expect("add");
        w.commit(1).expect("commit");
        assert!(reader.join().expect("thread"));
    }

    #[test]
    fn searcher_is_shareable() {
        fn assert_shareable<T: Clone + Send + Sync + 'static>() {}
        assert_shareable::<EventSearcher>();
        assert_shareable::<EventIndex>();
        fn assert_send<T: Send>() {}
        assert_send::<EventWriter>();
    }

    #[tokio::test]
    async fn search_from_async_code() {
        let (_d, _i, s) = indexed(&sample());
        let page = tokio::task::spawn_blocking(move || s.search(&EventQuery::text("alice")))
            .await
            .expect("join")
            .expect("search");
        assert_eq!(page.total, 1);
    }

    #[test]
    fn any_query_text_is_ok_or_a_user_error() {
        use proptest::test_runner::{Config, TestRunner};
        let (_d, _i, s) = indexed(&sample());
        let mut runner = TestRunner::new(Config {
            cases: 3000,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(
                &"[a-z.:@\"'()\\[\\]{}*^~+\\-!\\\\ ANDORTIN0-9]{0,40}",
                |q| {
                    if let Err(e) = s.search(&EventQuery::text(q.clone())) {
                        proptest::prop_assert!(e.is_user_error(), "{:?}: {}", q, e);
                    }
                    Ok(())
                },
            )
            .expect("never an internal error");
    }
}
