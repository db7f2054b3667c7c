//! Tests of the whole spool: writer, readers, recovery and acks.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use time::OffsetDateTime;
use vedette_model::Origin;

use super::*;

const NO_WAIT: Duration = Duration::ZERO;

fn cfg(dir: &Path, segment_bytes: u64) -> SpoolConfig {
    SpoolConfig {
        segment_bytes,
        ..SpoolConfig::new(dir)
    }
}

fn t(n: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(1_750_000_000_000_000_000 + i128::from(n)).unwrap()
}

fn udp() -> Origin {
    Origin::new("syslog-udp", Some("192.0.2.1:514".parse().unwrap()))
}

fn payload(i: u64) -> Vec<u8> {
    format!("<13>record number {i}").into_bytes()
}

/// Appends `n` numbered records and syncs.
fn fill(w: &mut SpoolWriter, n: u64) -> u64 {
    let mut last = 0;
    for _ in 0..n {
        let seq = w.next_seq();
        last = w
            .append(t(seq as i64), &udp(), false, &payload(seq))
            .unwrap();
    }
    w.sync().unwrap();
    last
}

/// Reads everything durable from `after` on.
fn read_all(h: &SpoolHandle, after: u64) -> Vec<Record> {
    let mut r = h.reader(after).unwrap();
    let mut all = Vec::new();
    loop {
        let batch = r.next_batch(7, NO_WAIT).unwrap();
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

fn seqs(records: &[Record]) -> Vec<u64> {
    records.iter().map(|r| r.seq).collect()
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    v.sort();
    v
}

#[test]
fn round_trip_all_origin_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
    let v6: SocketAddr = "[2001:db8::42]:6514".parse().unwrap();
    let inputs = [
        (udp(), false, b"<13>udp".to_vec()),
        (
            Origin::new("syslog-tcp", Some(v6)),
            true,
            vec![0, 255, 10, 13],
        ),
        (Origin::new("import", None), false, Vec::new()),
        (Origin::new("", None), true, vec![b'x'; 100_000]),
    ];
    for (i, (o, trunc, p)) in inputs.iter().enumerate() {
        assert_eq!(w.append(t(i as i64), o, *trunc, p).unwrap(), i as u64 + 1);
    }
    assert_eq!(w.pending(), 4);
    assert_eq!(w.sync().unwrap(), 4);
    assert_eq!(w.pending(), 0);

    let got = read_all(&h, 0);
    assert_eq!(seqs(&got), [1, 2, 3, 4]);
    for (i, (r, (o, trunc, p))) in got.iter().zip(&inputs).enumerate() {
        assert_eq!(r.received, t(i as i64));
        assert_eq!(&r.origin, o);
        assert_eq!(r.truncated, *trunc);
        assert_eq!(&r.payload, p);
    }
}

#[test]
fn readers_only_see_durable_records() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
    let mut r = h.reader(0).unwrap();
    w.append(t(0), &udp(), false, b"a").unwrap();
    w.append(t(1), &udp(), false, b"b").unwrap();
    assert!(r.next_batch(10, NO_WAIT).unwrap().is_empty());
    let st = h.stats();
    assert_eq!((st.last_seq, st.durable_seq), (2, 0));

    assert_eq!(w.sync().unwrap(), 2);
    w.append(t(2), &udp(), false, b"c").unwrap();
    // Force the buffered third record into the file: still not durable.
    w.out.flush().unwrap();
    assert_eq!(seqs(&r.next_batch(10, NO_WAIT).unwrap()), [1, 2]);
    assert!(r.next_batch(10, NO_WAIT).unwrap().is_empty());
    w.sync().unwrap();
    assert_eq!(seqs(&r.next_batch(10, NO_WAIT).unwrap()), [3]);
}

#[test]
fn batches_respect_max() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
    fill(&mut w, 10);
    let mut r = h.reader(0).unwrap();
    assert_eq!(seqs(&r.next_batch(4, NO_WAIT).unwrap()), [1, 2, 3, 4]);
    assert_eq!(r.next_seq(), 5);
    assert!(r.next_batch(0, NO_WAIT).unwrap().is_empty());
    assert_eq!(
        seqs(&r.next_batch(100, NO_WAIT).unwrap()),
        [5, 6, 7, 8, 9, 10]
    );
}

#[test]
fn reopen_continues_numbering() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut w, _h) = Spool::open(cfg(dir.path(), 300)).unwrap();
        fill(&mut w, 5);
    }
    let (mut w, h) = Spool::open(cfg(dir.path(), 300)).unwrap();
    let st = h.stats();
    assert_eq!(
        (st.last_seq, st.durable_seq, st.acked_seq, st.depth),
        (5, 5, 0, 5)
    );
    assert_eq!(w.append(t(6), &udp(), false, b"six").unwrap(), 6);
    w.sync().unwrap();
    assert_eq!(seqs(&read_all(&h, 0)), [1, 2, 3, 4, 5, 6]);
}

#[test]
fn unsynced_but_written_records_survive_a_crash() {
    // After kill -9 the page cache keeps what was flushed but not fsynced;
    // open must keep those records and make them durable.
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut w, h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
        fill(&mut w, 2);
        w.append(t(3), &udp(), false, &payload(3)).unwrap();
        w.out.flush().unwrap();
        assert_eq!(h.stats().durable_seq, 2);
    }
    let (_w, h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
    assert_eq!(h.stats().durable_seq, 3);
    assert_eq!(seqs(&read_all(&h, 0)), [1, 2, 3]);
}

#[test]
fn second_open_is_refused_while_locked() {
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
    assert!(matches!(
        Spool::open(SpoolConfig::new(dir.path())),
        Err(SpoolError::Locked { .. })
    ));
    drop(w);
    // A handle alone still holds the lock.
    assert!(Spool::open(SpoolConfig::new(dir.path())).is_err());
    drop(h);
    assert!(Spool::open(SpoolConfig::new(dir.path())).is_ok());
}

#[test]
fn impossible_segment_names_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("18446744073709551615.seg"), b"junk").unwrap();
    fs::write(dir.path().join("00000000000000000000.seg"), b"junk").unwrap();
    fs::write(dir.path().join("notes.txt"), b"hello").unwrap();
    let (mut w, h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
    assert_eq!(fill(&mut w, 2), 2);
    assert_eq!(seqs(&read_all(&h, 0)), [1, 2]);
}

#[test]
fn invalid_config_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Spool::open(cfg(dir.path(), 0)),
        Err(SpoolError::InvalidConfig { .. })
    ));
}

#[test]
fn oversized_frame_is_rejected_without_side_effects() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
    let big = vec![0u8; MAX_RECORD_LEN + 1];
    assert!(matches!(
        w.append(t(0), &udp(), true, &big),
        Err(SpoolError::RecordTooLarge { .. })
    ));
    assert_eq!(w.append(t(0), &udp(), false, b"ok").unwrap(), 1);
    w.sync().unwrap();
    assert_eq!(seqs(&read_all(&h, 0)), [1]);
}

/// Writes `n` records, closes the spool, and returns the single segment.
fn one_segment(dir: &Path, n: u64) -> PathBuf {
    let (mut w, _h) = Spool::open(SpoolConfig::new(dir)).unwrap();
    fill(&mut w, n);
    drop(w);
    segment_files(dir).pop().unwrap()
}

#[test]
fn garbage_tail_is_truncated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let seg = one_segment(dir.path(), 3);
    let good_len = fs::metadata(&seg).unwrap().len();
    let mut f = OpenOptions::new().append(true).open(&seg).unwrap();
    f.write_all(b"\x13\x00\x00\x00garbage after a crash")
        .unwrap();
    drop(f);

    let (mut w, h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
    assert_eq!(fs::metadata(&seg).unwrap().len(), good_len);
    assert_eq!(w.append(t(4), &udp(), false, &payload(4)).unwrap(), 4);
    w.sync().unwrap();
    let got = read_all(&h, 0);
    assert_eq!(seqs(&got), [1, 2, 3, 4]);
    assert_eq!(got[3].payload, payload(4));
}

#[test]
fn half_written_record_is_truncated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let seg = one_segment(dir.path(), 3);
    let len = fs::metadata(&seg).unwrap().len();
    let record_len = 8 + 8 + 8 + 1 + 2 + udp().input.len() as u64 + 1 + 6 + payload(3).len() as u64;
    OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(len - record_len / 2)
        .unwrap();

    let (mut w, h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
    assert_eq!(fs::metadata(&seg).unwrap().len(), len - record_len);
    assert_eq!(h.stats().last_seq, 2);
    assert_eq!(w.append(t(3), &udp(), false, b"again").unwrap(), 3);
    w.sync().unwrap();
    let got = read_all(&h, 0);
    assert_eq!(seqs(&got), [1, 2, 3]);
    assert_eq!(got[2].payload, b"again");
}

#[test]
fn flipped_byte_is_caught_by_crc() {
    let dir = tempfile::tempdir().unwrap();
    let seg = one_segment(dir.path(), 3);
    let mut bytes = fs::read(&seg).unwrap();
    let last = bytes.len() - 1; // inside the payload of record 3
    bytes[last] ^= 0x20;
    fs::write(&seg, &bytes).unwrap();

    // The reader path: a sealed segment with a bad record in the middle.
    let mut cur = format::SegmentCursor::open(seg.clone(), 1)
        .unwrap()
        .unwrap();
    assert!(matches!(
        cur.next(bytes.len() as u64, 0).unwrap(),
        Step::Record(_)
    ));
    assert!(matches!(
        cur.next(bytes.len() as u64, 0).unwrap(),
        Step::Record(_)
    ));
    assert!(matches!(
        cur.next(bytes.len() as u64, 0).unwrap(),
        Step::Corrupt(Corruption::Checksum { .. })
    ));

    // Recovery cuts the damaged last record.
    let (_w, h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
    assert_eq!(seqs(&read_all(&h, 0)), [1, 2]);
}

#[test]
fn damage_in_an_older_segment_skips_to_the_next() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut w, _h) = Spool::open(cfg(dir.path(), 200)).unwrap();
        fill(&mut w, 12);
    }
    let files = segment_files(dir.path());
    assert!(files.len() >= 3, "{files:?}");
    // Damage the first record of the second segment.
    let victim = &files[1];
    let victim_first =
        format::parse_segment_name(victim.file_name().unwrap().to_str().unwrap()).unwrap();
    let next_first =
        format::parse_segment_name(files[2].file_name().unwrap().to_str().unwrap()).unwrap();
    let mut bytes = fs::read(victim).unwrap();
    bytes[HEADER_LEN as usize + 12] ^= 1; // inside the seq of the first record
    fs::write(victim, &bytes).unwrap();

    let (_w, h) = Spool::open(cfg(dir.path(), 200)).unwrap();
    let got = seqs(&read_all(&h, 0));
    let expected: Vec<u64> = (1..victim_first).chain(next_first..=12).collect();
    assert_eq!(got, expected);
}

#[test]
fn foreign_or_future_segments_are_refused_not_destroyed() {
    let dir = tempfile::tempdir().unwrap();
    let seg = one_segment(dir.path(), 1);
    let mut bytes = fs::read(&seg).unwrap();
    bytes[8] = 2; // format version 2
    fs::write(&seg, &bytes).unwrap();
    assert!(matches!(
        Spool::open(SpoolConfig::new(dir.path())),
        Err(SpoolError::UnsupportedVersion { version: 2, .. })
    ));
    bytes[0] = b'X';
    fs::write(&seg, &bytes).unwrap();
    assert!(matches!(
        Spool::open(SpoolConfig::new(dir.path())),
        Err(SpoolError::Corrupt {
            reason: Corruption::BadMagic,
            ..
        })
    ));
    assert_eq!(fs::read(&seg).unwrap(), bytes);
}

#[test]
fn torn_segment_creation_is_repaired() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut w, _h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
        fill(&mut w, 2);
    }
    // A crash right after creating segment 3: a partial header.
    fs::write(format::segment_path(dir.path(), 3), &b"VDSP"[..]).unwrap();
    let (mut w, h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
    assert_eq!(w.append(t(3), &udp(), false, b"three").unwrap(), 3);
    w.sync().unwrap();
    assert_eq!(seqs(&read_all(&h, 0)), [1, 2, 3]);
}

#[test]
fn rollover_and_reading_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, h) = Spool::open(cfg(dir.path(), 256)).unwrap();
    let mut r = h.reader(0).unwrap();
    let mut got = Vec::new();
    for round in 0..5 {
        fill(&mut w, 9);
        // Read part of the way while the writer keeps rolling.
        got.extend(r.next_batch(5 + round, NO_WAIT).unwrap());
    }
    loop {
        let b = r.next_batch(3, NO_WAIT).unwrap();
        if b.is_empty() {
            break;
        }
        got.extend(b);
    }
    assert_eq!(seqs(&got), (1..=45).collect::<Vec<_>>());
    for rec in &got {
        assert_eq!(rec.payload, payload(rec.seq));
    }
    let files = segment_files(dir.path());
    assert!(files.len() > 5);
    assert_eq!(h.stats().segments, files.len());
    // Every segment but the last is within the size limit, and each one is
    // named after its first record.
    for f in &files[..files.len() - 1] {
        assert!(fs::metadata(f).unwrap().len() <= 256);
    }
    let disk: u64 = files.iter().map(|f| fs::metadata(f).unwrap().len()).sum();
    assert_eq!(h.stats().bytes_on_disk, disk);
    let firsts: Vec<u64> = files
        .iter()
        .map(|f| format::parse_segment_name(f.file_name().unwrap().to_str().unwrap()).unwrap())
        .collect();
    assert_eq!(firsts[0], 1);

    // Reopen and read across them again.
    drop((w, r, h));
    let (_w, h) = Spool::open(cfg(dir.path(), 256)).unwrap();
    assert_eq!(seqs(&read_all(&h, 0)), (1..=45).collect::<Vec<_>>());
}

#[test]
fn single_large_record_gets_its_own_segment() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, h) = Spool::open(cfg(dir.path(), 100)).unwrap();
    w.append(t(0), &udp(), false, &[7u8; 1000]).unwrap();
    w.append(t(1), &udp(), false, &[8u8; 1000]).unwrap();
    w.sync().unwrap();
    assert_eq!(segment_files(dir.path()).len(), 2);
    let got = read_all(&h, 0);
    assert_eq!(got[1].payload, vec![8u8; 1000]);
}

#[test]
fn reader_starts_after_a_given_seq() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, h) = Spool::open(cfg(dir.path(), 300)).unwrap();
    fill(&mut w, 40);
    for after in [0, 1, 5, 17, 39, 40] {
        let got = read_all(&h, after);
        assert_eq!(
            seqs(&got),
            (after + 1..=40).collect::<Vec<_>>(),
            "after {after}"
        );
    }
    // Starting beyond the end waits for those seqs to pass.
    let mut r = h.reader(42).unwrap();
    fill(&mut w, 3);
    assert_eq!(seqs(&r.next_batch(10, NO_WAIT).unwrap()), [43]);
}

#[test]
fn ack_deletes_old_segments_but_not_the_active_one() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, h) = Spool::open(cfg(dir.path(), 300)).unwrap();
    fill(&mut w, 30);
    let before = segment_files(dir.path());
    assert!(before.len() >= 4);

    h.ack(1).unwrap();
    assert_eq!(
        segment_files(dir.path()),
        before,
        "segment 1 still has unacked records"
    );
    assert_eq!(h.stats().acked_seq, 1);
    assert_eq!(h.stats().depth, 29);

    // Acking past the durable watermark is clamped.
    w.append(t(31), &udp(), false, b"not durable").unwrap();
    h.ack(1_000).unwrap();
    let st = h.stats();
    assert_eq!((st.acked_seq, st.depth, st.last_seq), (30, 0, 31));
    let after = segment_files(dir.path());
    assert_eq!(
        after,
        [before.last().unwrap().clone()],
        "only the active segment is left"
    );
    assert_eq!(st.segments, 1);
    assert_eq!(
        st.bytes_on_disk,
        fs::metadata(&after[0]).unwrap().len() + w.out.buffer().len() as u64
    );

    // Acks never go backwards.
    h.ack(3).unwrap();
    assert_eq!(h.stats().acked_seq, 30);

    // A reader positioned after the deleted segments still works, and one
    // positioned inside them starts at the oldest record left.
    w.sync().unwrap();
    fill(&mut w, 10);
    assert_eq!(seqs(&read_all(&h, 30)), (31..=41).collect::<Vec<_>>());
    let oldest = read_all(&h, 0)[0].seq;
    assert!(oldest > 1 && oldest <= 31, "{oldest}");
}

#[test]
fn reader_inside_a_deleted_segment_keeps_reading() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, h) = Spool::open(cfg(dir.path(), 300)).unwrap();
    fill(&mut w, 30);
    let mut r = h.reader(0).unwrap();
    assert_eq!(seqs(&r.next_batch(1, NO_WAIT).unwrap()), [1]);
    h.ack(30).unwrap();
    let mut got = vec![1];
    loop {
        let b = r.next_batch(100, NO_WAIT).unwrap();
        if b.is_empty() {
            break;
        }
        got.extend(seqs(&b));
    }
    // It finishes its open segment, then jumps to what is left.
    assert_eq!(got.first(), Some(&1));
    assert_eq!(got.last(), Some(&30));
    assert!(got.windows(2).all(|p| p[0] < p[1]));
}

#[test]
fn full_when_disk_budget_exceeded() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = SpoolConfig {
        dir: dir.path().into(),
        segment_bytes: 200,
        max_bytes: 1000,
    };
    let (mut w, h) = Spool::open(cfg).unwrap();
    assert!(!w.is_full());
    let last = fill(&mut w, 40);
    assert!(w.is_full());
    h.ack(last).unwrap();
    assert!(!w.is_full());
}

#[test]
fn next_batch_times_out_empty() {
    let dir = tempfile::tempdir().unwrap();
    let (_w, h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
    let mut r = h.reader(0).unwrap();
    let start = Instant::now();
    assert!(r
        .next_batch(10, Duration::from_millis(50))
        .unwrap()
        .is_empty());
    assert!(start.elapsed() >= Duration::from_millis(50));
    assert!(!r.is_drained());
}

#[test]
fn sync_wakes_a_waiting_reader() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
    let mut r = h.reader(0).unwrap();
    let t0 = Instant::now();
    let reader = thread::spawn(move || r.next_batch(10, Duration::from_secs(30)).unwrap());
    thread::sleep(Duration::from_millis(30));
    fill(&mut w, 2);
    assert_eq!(seqs(&reader.join().unwrap()), [1, 2]);
    assert!(t0.elapsed() < Duration::from_secs(10));
}

#[test]
fn close_wakes_a_blocked_reader_and_drains() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
    let mut r = h.reader(0).unwrap();
    let t0 = Instant::now();
    let blocked = thread::spawn(move || {
        let b = r.next_batch(10, Duration::from_secs(30)).unwrap();
        (r, b)
    });
    thread::sleep(Duration::from_millis(30));
    h.close();
    let (mut r, b) = blocked.join().unwrap();
    assert!(b.is_empty());
    assert!(r.is_drained());
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert!(h.is_closed());

    // Records synced around shutdown are still handed out, then drained.
    fill(&mut w, 5);
    assert_eq!(
        seqs(&r.next_batch(3, Duration::from_secs(30)).unwrap()),
        [1, 2, 3]
    );
    assert!(!r.is_drained());
    assert_eq!(
        seqs(&r.next_batch(3, Duration::from_secs(30)).unwrap()),
        [4, 5]
    );
    let t1 = Instant::now();
    assert!(r.next_batch(3, Duration::from_secs(30)).unwrap().is_empty());
    assert!(r.is_drained());
    assert!(t1.elapsed() < Duration::from_secs(10));
}

#[test]
fn concurrent_writer_and_reader() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, h) = Spool::open(cfg(dir.path(), 4096)).unwrap();
    let mut r = h.reader(0).unwrap();
    const N: u64 = 5_000;
    let reader = thread::spawn(move || {
        let mut next = 1;
        while next <= N {
            for rec in r.next_batch(256, Duration::from_secs(10)).unwrap() {
                assert_eq!(rec.seq, next);
                assert_eq!(rec.payload, payload(next));
                next += 1;
            }
        }
        next
    });
    for i in 1..=N {
        w.append(t(i as i64), &udp(), false, &payload(i)).unwrap();
        if i % 37 == 0 {
            w.sync().unwrap();
        }
    }
    w.sync().unwrap();
    assert_eq!(reader.join().unwrap(), N + 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_payloads_round_trip(
        frames in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..600), any::<bool>(), 0u8..3, any::<i64>()),
            1..40,
        ),
        segment_bytes in 64u64..2048,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (mut w, h) = Spool::open(cfg(dir.path(), segment_bytes)).unwrap();
        let origin = |k: u8| match k {
            0 => Origin::new("import", None),
            1 => udp(),
            _ => Origin::new("syslog-tcp", Some("[::1]:601".parse().unwrap())),
        };
        for (p, trunc, k, nanos) in &frames {
            let received = OffsetDateTime::from_unix_timestamp_nanos(i128::from(*nanos)).unwrap();
            w.append(received, &origin(*k), *trunc, p).unwrap();
        }
        w.sync().unwrap();
        drop((w, h));
        let (_w, h) = Spool::open(cfg(dir.path(), segment_bytes)).unwrap();
        let got = read_all(&h, 0);
        prop_assert_eq!(got.len(), frames.len());
        for (i, (r, (p, trunc, k, nanos))) in got.iter().zip(&frames).enumerate() {
            prop_assert_eq!(r.seq, i as u64 + 1);
            prop_assert_eq!(&r.payload, p);
            prop_assert_eq!(r.truncated, *trunc);
            prop_assert_eq!(&r.origin, &origin(*k));
            prop_assert_eq!(r.received.unix_timestamp_nanos(), i128::from(*nanos));
        }
    }

    #[test]
    fn garbage_segments_never_panic(
        garbage in proptest::collection::vec(any::<u8>(), 0..2000),
        keep_header in any::<bool>(),
        as_older in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = Vec::new();
        if keep_header {
            bytes.extend_from_slice(&format::encode_header(1));
        }
        bytes.extend_from_slice(&garbage);
        fs::write(format::segment_path(dir.path(), 1), &bytes).unwrap();
        if as_older {
            // A valid active segment after the garbage one.
            fs::write(format::segment_path(dir.path(), 50), format::encode_header(50)).unwrap();
        }
        if let Ok((mut w, h)) = Spool::open(SpoolConfig::new(dir.path())) {
            let got = read_all(&h, 0);
            prop_assert!(got.windows(2).all(|p| p[0].seq < p[1].seq));
            let seq = w.append(t(0), &udp(), false, b"after").unwrap();
            w.sync().unwrap();
            let got = read_all(&h, seq - 1);
            prop_assert_eq!(seqs(&got), vec![seq]);
        }
    }
}

#[test]
fn records_appended_by_a_valid_writer_survive_random_truncation() {
    // Cutting the last segment at every byte offset keeps exactly the
    // records that are whole.
    let dir = tempfile::tempdir().unwrap();
    let seg = one_segment(dir.path(), 4);
    let full = fs::read(&seg).unwrap();
    let mut ends = vec![HEADER_LEN as usize];
    let mut off = HEADER_LEN as usize;
    while off < full.len() {
        let len = u32::from_le_bytes(full[off..off + 4].try_into().unwrap()) as usize;
        off += 8 + len;
        ends.push(off);
    }
    for cut in HEADER_LEN as usize..=full.len() {
        fs::write(&seg, &full[..cut]).unwrap();
        let (_w, h) = Spool::open(SpoolConfig::new(dir.path())).unwrap();
        let whole = ends.iter().filter(|&&e| e <= cut).count() as u64 - 1;
        assert_eq!(h.stats().last_seq, whole, "cut at {cut}");
        assert_eq!(seqs(&read_all(&h, 0)), (1..=whole).collect::<Vec<_>>());
        assert_eq!(
            fs::metadata(&seg).unwrap().len() as usize,
            ends[whole as usize]
        );
    }
}
