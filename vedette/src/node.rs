//! One Vedette node: the data directory opened, and the two threads that
//! move events: intake (frames -> spool) and the pipeline (spool -> parse ->
//! detect -> correlate -> index + alerts).

use std::fs::File;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use vedette_collectors::{CollectorStats, Frame};
use vedette_correlation::{
    Correlator, CorrelatorStats, Detection, Detector, RestoreOutcome, SigmaRuleSet, StateFile,
};
use vedette_model::{Event, FieldValue, NewAlert};
use vedette_parsers::Parser;
use vedette_search::{EventIndex, EventWriter};
use vedette_spool::{Spool, SpoolConfig, SpoolHandle, SpoolWriter};
use vedette_store::Store;

use crate::config::{absolute, Config};

/// How many records the pipeline takes from the spool at once.
const BATCH: usize = 2048;
/// How often the index is committed (and the spool acknowledged).
const COMMIT_EVERY: Duration = Duration::from_millis(1000);
/// The longest interval between commits while events flow: reached only
/// when saving a large correlation state is slow (see `Pipeline::commit`).
const COMMIT_EVERY_MAX: Duration = Duration::from_secs(30);
/// Batches at least this large are parsed and matched on two threads.
const PARALLEL_MIN: usize = 256;
/// Most records appended before the intake thread fsyncs.
const SYNC_EVERY: usize = 4096;

/// Counters of the pipeline, read by `/metrics`.
#[derive(Debug, Default)]
pub struct PipelineStats {
    /// Records the pipeline has processed.
    pub processed: AtomicU64,
    /// Records a parser understood.
    pub parsed: AtomicU64,
    /// Records kept raw because no parser understood them.
    pub failed: AtomicU64,
    /// Records committed to the index.
    pub indexed: AtomicU64,
    /// Alerts written (new ones, not replays).
    pub alerts: AtomicU64,
    /// Frames durable in the spool (counted after their fsync).
    pub spooled: AtomicU64,
    /// Times intake paused because the spool was full.
    pub spool_full_waits: AtomicU64,
    /// Last spool seq committed to the index.
    pub committed_seq: AtomicU64,
    /// Detection rules running now.
    pub rules_loaded: AtomicU64,
    /// Times changed rule files were loaded while running.
    pub rule_reloads: AtomicU64,
    /// Time spent parsing and detecting (wall clock, both threads).
    pub prepare_nanos: AtomicU64,
    /// Time spent handing events to the index writer and building alerts.
    pub index_nanos: AtomicU64,
    /// Time spent waiting for alert writes to the store before a commit.
    pub store_nanos: AtomicU64,
    /// Time spent committing the index.
    pub commit_nanos: AtomicU64,
    /// Time spent in correlation rules (the pipeline thread).
    pub correlate_nanos: AtomicU64,
    /// Time spent saving the correlation state at commits.
    pub correlation_state_nanos: AtomicU64,
}

/// The opened data directory and everything that lives in it.
pub struct Node {
    /// Settings in force.
    pub cfg: Config,
    /// Handle on the spool (stats, readers, ack).
    pub spool: SpoolHandle,
    /// The event index.
    pub index: EventIndex,
    /// The relational store.
    pub store: Store,
    /// The compiled detection rules.
    pub detector: Arc<dyn Detector>,
    /// Correlation rules loaded.
    pub correlation_rules: usize,
    /// Correlation counters (open groups, evictions).
    pub correlation_stats: Arc<CorrelatorStats>,
    /// The correlation state, until the pipeline thread takes it.
    correlator: Mutex<Option<Correlator>>,
    /// Rule ids switched off through the console: their detections raise
    /// no alert (shared with the console's rule catalog).
    pub disabled_rules: Arc<std::sync::RwLock<std::collections::HashSet<String>>>,
    /// The loaded rules as the console lists them.
    pub rule_catalog: Arc<dyn vedette_console::RuleCatalog>,
    /// The same catalog, to replace its list when the rules are reloaded.
    catalog: vedette_console::StaticCatalog,
    /// Reloaded rule sets, from the watcher to the pipeline thread.
    rule_sender: std::sync::mpsc::SyncSender<SigmaRuleSet>,
    rule_updates: Mutex<Option<std::sync::mpsc::Receiver<SigmaRuleSet>>>,
    /// Pipeline counters.
    pub stats: Arc<PipelineStats>,
    /// Collector counters.
    pub collector_stats: Arc<CollectorStats>,
    _lock: File,
}

/// Takes the data directory's lock: one process owns a data directory.
pub fn lock_data_dir(cfg: &Config) -> Result<File> {
    let dir = absolute(&cfg.data_dir)?;
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating data directory {}", dir.display()))?;
    let path = dir.join("lock");
    let f = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(anyhow!(
            "another Vedette process is using the data directory {} (lock held on {})",
            dir.display(),
            path.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(e).context("locking the data directory"),
    }
}

/// Loads the configured rules, or the built-in pack when none are configured.
pub fn load_rules(cfg: &Config) -> SigmaRuleSet {
    let (set, report) = if cfg.rules.is_empty() {
        SigmaRuleSet::from_sources(crate::EMBEDDED_RULES.iter().copied())
    } else {
        SigmaRuleSet::load(&cfg.rules)
    };
    for e in &report.errors {
        tracing::warn!(target: "vedette::rules", "rule not loaded: {e}");
    }
    for w in &report.warnings {
        tracing::warn!(target: "vedette::rules", "rule warning: {w}");
    }
    tracing::info!(
        loaded = report.loaded,
        correlations = report.correlations,
        filters = report.filters,
        failed = report.errors.len(),
        "Sigma rules compiled"
    );
    set
}

impl Node {
    /// Opens (creating when new) the data directory: lock, spool, index,
    /// store, rules. Returns the node and the spool's single writer.
    pub async fn open(cfg: Config) -> Result<(Node, SpoolWriter)> {
        let lock = lock_data_dir(&cfg)?;
        let dir = absolute(&cfg.data_dir)?;
        let mut spool_cfg = SpoolConfig::new(dir.join("spool"));
        spool_cfg.max_bytes = cfg.spool_max_bytes;
        let (writer, spool) = Spool::open(spool_cfg).context("opening the spool")?;
        let index = EventIndex::open(&dir.join("index")).context("opening the event index")?;
        let store = Store::open(&cfg.database_url()?)
            .await
            .context("opening the store")?;
        let rules = load_rules(&cfg);
        let correlator = rules.correlator(cfg.detection.correlation());
        let correlation_stats = correlator.stats();
        let correlation_rules = correlator.rule_count();
        let disabled_rules = Arc::new(std::sync::RwLock::new(
            store
                .rule_settings()
                .await
                .context("reading rule settings")?
                .into_iter()
                .filter(|(_, s)| !s.enabled)
                .map(|(id, _)| id)
                .collect::<std::collections::HashSet<String>>(),
        ));
        let catalog =
            vedette_console::StaticCatalog::new(catalog_entries(&rules), disabled_rules.clone());
        let rule_catalog: Arc<dyn vedette_console::RuleCatalog> = Arc::new(catalog.clone());
        let (rule_sender, rule_updates) = std::sync::mpsc::sync_channel(1);
        let stats = Arc::new(PipelineStats::default());
        stats
            .rules_loaded
            .store(rules.rule_count() as u64, Ordering::Relaxed);
        let detector: Arc<dyn Detector> = Arc::new(rules);
        stats.committed_seq.store(
            index
                .committed_seq()
                .context("reading the index commit point")?,
            Ordering::Relaxed,
        );
        let node = Node {
            cfg,
            spool,
            index,
            store,
            detector,
            correlation_rules,
            correlation_stats,
            correlator: Mutex::new(Some(correlator)),
            disabled_rules,
            rule_catalog,
            catalog,
            rule_sender,
            rule_updates: Mutex::new(Some(rule_updates)),
            stats,
            collector_stats: Arc::new(CollectorStats::default()),
            _lock: lock,
        };
        Ok((node, writer))
    }

    /// Starts the pipeline thread, resuming after the index's commit point.
    /// It runs until the spool is closed and drained.
    pub fn start_pipeline(
        &self,
        rt: tokio::runtime::Handle,
        fatal: CancellationToken,
    ) -> Result<std::thread::JoinHandle<Result<()>>> {
        let after = self.index.committed_seq()?;
        let reader = self.spool.reader(after).context("opening a spool reader")?;
        let writer = self
            .index
            .writer(self.cfg.index_heap_bytes)
            .context("opening the index writer")?;
        let parser = Parser::new(self.cfg.parser_config()?);
        let mut correlator = self
            .correlator
            .lock()
            .map_err(|_| anyhow!("correlator lock poisoned"))?
            .take()
            .context("the pipeline was already started")?;
        let state = StateFile::new(&absolute(&self.cfg.data_dir)?);
        restore_correlation(&state, &mut correlator, after);
        let updates = self
            .rule_updates
            .lock()
            .map_err(|_| anyhow!("rule update lock poisoned"))?
            .take();
        let p = Pipeline {
            spool: self.spool.clone(),
            writer,
            prepare: Prepare {
                parser,
                detector: self.detector.clone(),
            },
            store: self.store.clone(),
            stats: self.stats.clone(),
            rt,
            last_seq: after,
            alert_writes: Vec::new(),
            correlator,
            state,
            commit_every: COMMIT_EVERY,
            disabled: self.disabled_rules.clone(),
            reload: Reload {
                updates,
                catalog: self.catalog.clone(),
                correlation: self.cfg.detection.correlation(),
            },
        };
        if after > 0 {
            tracing::info!(after, "resuming processing from the spool");
        }
        std::thread::Builder::new()
            .name("pipeline".into())
            .spawn(move || {
                let r = p.run(reader);
                if let Err(e) = &r {
                    tracing::error!("pipeline stopped: {e:#}");
                    fatal.cancel();
                }
                r
            })
            .context("starting the pipeline thread")
    }
}

impl Node {
    /// Watches the rule files given with `--rules` (not the built-in pack)
    /// every `[detection] reload_secs`; when any changed, loads them on this
    /// thread and hands the new set to the pipeline, which swaps it in
    /// between two batches: no event is dropped or evaluated twice.
    pub fn start_rule_watcher(
        &self,
        stop: CancellationToken,
    ) -> Option<std::thread::JoinHandle<()>> {
        let every = self.cfg.detection.reload_secs;
        if self.cfg.rules.is_empty() || every == 0 {
            return None;
        }
        let cfg = self.cfg.clone();
        let sender = self.rule_sender.clone();
        std::thread::Builder::new()
            .name("rule-watcher".into())
            .spawn(move || {
                let mut seen = rule_files_fingerprint(&cfg.rules);
                while !stop.is_cancelled() {
                    std::thread::sleep(Duration::from_secs(every));
                    let now = rule_files_fingerprint(&cfg.rules);
                    if now == seen {
                        continue;
                    }
                    seen = now;
                    tracing::info!("rule files changed; loading them");
                    if sender.send(load_rules(&cfg)).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| tracing::error!("could not start the rule watcher: {e}"))
            .ok()
    }
}

/// What identifies the rule files' content cheaply: each file the rule
/// set would read, with its size and modification time.
fn rule_files_fingerprint(paths: &[std::path::PathBuf]) -> Vec<(std::path::PathBuf, u64, u128)> {
    vedette_correlation::rule_files(paths)
        .into_iter()
        .map(|f| {
            let meta = std::fs::metadata(&f).ok();
            let len = meta.as_ref().map_or(0, std::fs::Metadata::len);
            let mtime = meta
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            (f, len, mtime)
        })
        .collect()
}

/// The console's view of a rule set.
fn catalog_entries(rules: &SigmaRuleSet) -> Vec<vedette_console::RuleEntry> {
    rules
        .catalog()
        .iter()
        .map(|r| vedette_console::RuleEntry {
            id: r.id.clone(),
            title: r.title.clone(),
            kind: r.kind,
            level: r.level,
            logsource: r.logsource.clone(),
            tags: r.tags.clone(),
            path: r.path.clone(),
        })
        .collect()
}

/// What the pipeline needs to swap in reloaded rules.
struct Reload {
    updates: Option<std::sync::mpsc::Receiver<SigmaRuleSet>>,
    catalog: vedette_console::StaticCatalog,
    correlation: vedette_correlation::CorrelationConfig,
}

/// Restores the correlation state saved with the index commit the pipeline
/// resumes after. Only a state for exactly that spool position is used:
/// events after it are replayed from the spool, so an older state would
/// miss the events in between and a newer one would count the replayed
/// ones twice. Starting empty instead loses only the windows that were
/// open (they cannot fire), never raises a false alert.
fn restore_correlation(state: &StateFile, c: &mut Correlator, after: u64) {
    if c.rule_count() == 0 {
        return;
    }
    match state.restore(c, after) {
        Ok(RestoreOutcome::Restored { groups }) => {
            tracing::info!(groups, after, "correlation state restored");
        }
        Ok(RestoreOutcome::Missing) => {
            if after > 0 {
                tracing::warn!(
                    after,
                    "no saved correlation state; correlation windows start empty"
                );
            }
        }
        Ok(RestoreOutcome::Stale { found }) => tracing::warn!(
            after,
            ?found,
            "the saved correlation state is for another spool position than the index; \
             correlation windows start empty"
        ),
        Err(e) => tracing::warn!(
            "the saved correlation state could not be read ({e}); correlation windows start empty"
        ),
    }
}

/// Moves frames from the collectors into the spool, fsyncing in batches,
/// and pushes back (stops receiving) while the spool is full.
pub fn start_intake(
    mut writer: SpoolWriter,
    spool: SpoolHandle,
    mut rx: mpsc::Receiver<Frame>,
    stats: Arc<PipelineStats>,
    fatal: CancellationToken,
) -> Result<std::thread::JoinHandle<Result<()>>> {
    std::thread::Builder::new()
        .name("intake".into())
        .spawn(move || {
            let result = (|| -> Result<()> {
                while let Some(frame) = rx.blocking_recv() {
                    append(&mut writer, &frame)?;
                    let mut n = 1;
                    while n < SYNC_EVERY {
                        match rx.try_recv() {
                            Ok(frame) => {
                                append(&mut writer, &frame)?;
                                n += 1;
                            }
                            Err(_) => break,
                        }
                    }
                    writer.sync().context("syncing the spool")?;
                    // Counted once durable: what `vedette_events_in_total`
                    // reports survives a kill -9.
                    stats.spooled.fetch_add(n as u64, Ordering::Relaxed);
                    while writer.is_full() {
                        stats.spool_full_waits.fetch_add(1, Ordering::Relaxed);
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
                writer.sync().context("syncing the spool")?;
                Ok(())
            })();
            if let Err(e) = &result {
                tracing::error!("intake stopped: {e:#}");
                fatal.cancel();
            }
            spool.close();
            result
        })
        .context("starting the intake thread")
}

fn append(writer: &mut SpoolWriter, f: &Frame) -> Result<()> {
    writer
        .append(f.received, &f.origin, f.truncated, &f.bytes)
        .context("appending to the spool")?;
    Ok(())
}

/// Parsing and detection: pure work on records, run on two threads.
struct Prepare {
    parser: Parser,
    detector: Arc<dyn Detector>,
}

/// A record made into an event, with the rules it matched.
struct Prepared {
    event: Event,
    hits: Vec<Detection>,
}

impl Prepare {
    fn one(&self, rec: vedette_spool::Record) -> Prepared {
        // Parsers and rules do not panic on any input (property tested);
        // should one ever do, the record is still kept raw and the
        // pipeline goes on.
        let parsed = catch_unwind(AssertUnwindSafe(|| {
            self.parser
                .parse(rec.seq, rec.received, rec.origin.clone(), &rec.payload)
        }));
        let mut event = parsed.unwrap_or_else(|_| {
            let mut ev = Event::raw(rec.seq, rec.received, rec.origin, &rec.payload);
            ev.error = Some("internal error: the parser panicked on this record".into());
            ev
        });
        if rec.truncated {
            event.fields.insert("log.truncated", FieldValue::Bool(true));
        }
        let mut hits = Vec::new();
        if catch_unwind(AssertUnwindSafe(|| self.detector.detect(&event, &mut hits))).is_err() {
            tracing::error!(
                seq = event.seq,
                "detection panicked on an event; its alerts are lost"
            );
            hits.clear();
        }
        Prepared { event, hits }
    }

    fn many(&self, recs: Vec<vedette_spool::Record>) -> Vec<Prepared> {
        recs.into_iter().map(|r| self.one(r)).collect()
    }

    /// Splits a large batch in two and prepares the halves on two threads;
    /// the order of records is kept. A batch holding a record that changes
    /// the parser's per-source state (a W3C `#Fields:` line, which sets the
    /// layout of its source's next lines) is parsed in order, on one thread.
    fn batch(&self, mut recs: Vec<vedette_spool::Record>) -> Vec<Prepared> {
        if recs.len() < PARALLEL_MIN
            || recs
                .iter()
                .any(|r| vedette_parsers::changes_state(&r.payload))
        {
            return self.many(recs);
        }
        let second = recs.split_off(recs.len() / 2);
        std::thread::scope(|s| {
            let other = s.spawn(|| self.many(second));
            let mut out = self.many(recs);
            match other.join() {
                Ok(rest) => out.extend(rest),
                Err(p) => std::panic::resume_unwind(p),
            }
            out
        })
    }
}

struct Pipeline {
    spool: SpoolHandle,
    writer: EventWriter,
    prepare: Prepare,
    store: Store,
    stats: Arc<PipelineStats>,
    rt: tokio::runtime::Handle,
    last_seq: u64,
    /// Alert writes in flight, all finished before the next index commit.
    alert_writes: Vec<tokio::task::JoinHandle<()>>,
    /// Correlation rules' state, fed in spool order.
    correlator: Correlator,
    /// Where that state is saved at each commit.
    state: StateFile,
    /// Time between commits while events flow: one second, longer while the
    /// correlation state is large.
    commit_every: Duration,
    /// Rule ids switched off: neither alerts nor correlation input.
    disabled: Arc<std::sync::RwLock<std::collections::HashSet<String>>>,
    /// Reloaded rule sets to swap in.
    reload: Reload,
}

fn nanos(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

impl Pipeline {
    /// Takes a reloaded rule set, if the watcher sent one, between two
    /// batches: the detector and the correlator are replaced together, the
    /// correlation windows carried over (a correlation whose definition
    /// changed starts empty), and the console's list follows.
    fn swap_in_reloaded_rules(&mut self) {
        let Some(rx) = &self.reload.updates else {
            return;
        };
        let Ok(set) = rx.try_recv() else {
            return;
        };
        let before = self.prepare.detector.rule_count();
        if set.rule_count() == 0 && set.correlation_count() == 0 && before > 0 {
            tracing::warn!(
                "the reloaded rule files hold no rule that loads; keeping the {before} running"
            );
            return;
        }
        let mut correlator = set
            .correlator(self.reload.correlation)
            .with_stats(self.correlator.stats());
        let saved = self.correlator.export_bytes(self.last_seq);
        match correlator.import_bytes(&saved) {
            Ok(groups) => tracing::debug!(groups, "correlation windows carried over"),
            Err(e) => tracing::warn!("correlation windows not carried over: {e}"),
        }
        self.reload.catalog.replace(catalog_entries(&set));
        self.stats
            .rules_loaded
            .store(set.rule_count() as u64, Ordering::Relaxed);
        self.stats.rule_reloads.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            rules = set.rule_count(),
            correlations = set.correlation_count(),
            before,
            "rules reloaded"
        );
        self.prepare.detector = Arc::new(set);
        self.correlator = correlator;
    }

    fn run(mut self, mut reader: vedette_spool::SpoolReader) -> Result<()> {
        let mut alerts: Vec<NewAlert> = Vec::new();
        let mut committed = self.last_seq;
        let mut last_commit = Instant::now();
        loop {
            self.swap_in_reloaded_rules();
            let batch = reader
                .next_batch(BATCH, Duration::from_millis(200))
                .context("reading the spool")?;
            let empty = batch.is_empty();
            let now = OffsetDateTime::now_utc();

            let t = Instant::now();
            let prepared = self.prepare.batch(batch);
            self.stats
                .prepare_nanos
                .fetch_add(nanos(t), Ordering::Relaxed);

            let t = Instant::now();
            let n = prepared.len() as u64;
            let mut correlate = Duration::ZERO;
            // Rules switched off in the console: read once per batch.
            let disabled = self.disabled.read().map(|d| d.clone()).unwrap_or_default();
            for Prepared { event, mut hits } in prepared {
                if !disabled.is_empty() {
                    hits.retain(|d| !disabled.contains(&d.rule_id));
                }
                if event.error.is_some() {
                    self.stats.failed.fetch_add(1, Ordering::Relaxed);
                } else {
                    self.stats.parsed.fetch_add(1, Ordering::Relaxed);
                }
                // Stateful, so here, one event at a time in spool order.
                let c = Instant::now();
                if catch_unwind(AssertUnwindSafe(|| {
                    self.correlator.process(&event, &mut hits)
                }))
                .is_err()
                {
                    tracing::error!(seq = event.seq, "correlation panicked on an event");
                }
                correlate += c.elapsed();
                if !disabled.is_empty() {
                    hits.retain(|d| !disabled.contains(&d.rule_id));
                }
                for d in &hits {
                    alerts.push(d.to_alert(&event, now));
                }
                self.writer.add(&event).context("indexing an event")?;
                self.last_seq = event.seq;
            }
            self.stats.correlate_nanos.fetch_add(
                u64::try_from(correlate.as_nanos()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
            self.stats.processed.fetch_add(n, Ordering::Relaxed);
            self.stats
                .index_nanos
                .fetch_add(nanos(t), Ordering::Relaxed);

            if !alerts.is_empty() {
                self.store_alerts(std::mem::take(&mut alerts));
            }
            let due =
                last_commit.elapsed() >= self.commit_every || (empty && self.last_seq > committed);
            if self.last_seq > committed && due {
                self.commit(committed)?;
                committed = self.last_seq;
                last_commit = Instant::now();
            }
            if empty && reader.is_drained() {
                break;
            }
        }
        if self.last_seq > committed {
            self.commit(committed)?;
        }
        tracing::info!(through = self.last_seq, "pipeline drained");
        Ok(())
    }

    /// Alerts go to the store before the index commit that covers their
    /// events, so a crash in between replays them (the store ignores the
    /// duplicates). The write runs on the async runtime while the pipeline
    /// goes on with the next batch; `commit` waits for every write first. A
    /// store that is down stalls the pipeline rather than losing alerts;
    /// intake keeps spooling meanwhile.
    fn store_alerts(&mut self, alerts: Vec<NewAlert>) {
        let store = self.store.clone();
        let stats = self.stats.clone();
        self.alert_writes.push(self.rt.spawn(async move {
            let mut delay = Duration::from_millis(100);
            loop {
                match store.insert_alerts(&alerts).await {
                    Ok(n) => {
                        stats.alerts.fetch_add(n, Ordering::Relaxed);
                        return;
                    }
                    Err(e) => {
                        tracing::error!("storing {} alerts failed, retrying: {e}", alerts.len());
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(10));
                    }
                }
            }
        }));
    }

    /// Waits until every alert write started so far is done.
    fn wait_alert_writes(&mut self) -> Result<()> {
        for h in self.alert_writes.drain(..) {
            self.rt
                .block_on(h)
                .map_err(|e| anyhow!("an alert write task failed: {e}"))?;
        }
        Ok(())
    }

    fn commit(&mut self, previous: u64) -> Result<()> {
        let t = Instant::now();
        self.wait_alert_writes()?;
        self.stats
            .store_nanos
            .fetch_add(nanos(t), Ordering::Relaxed);
        // The correlation state covering exactly the events of this commit,
        // written before it: a crash in between leaves the index at the
        // previous commit, whose state the file keeps as the previous one.
        let t = Instant::now();
        if let Err(e) = self.state.save(&self.correlator, self.last_seq) {
            tracing::warn!("saving the correlation state failed: {e}");
        }
        // Saving costs about 4 s per million open groups; commits are spaced
        // so that it takes at most about a tenth of the time while events
        // flow.
        self.commit_every = (t.elapsed() * 10).clamp(COMMIT_EVERY, COMMIT_EVERY_MAX);
        self.stats
            .correlation_state_nanos
            .fetch_add(nanos(t), Ordering::Relaxed);
        let t = Instant::now();
        self.writer
            .commit(self.last_seq)
            .context("committing the index")?;
        self.stats
            .commit_nanos
            .fetch_add(nanos(t), Ordering::Relaxed);
        self.stats
            .indexed
            .fetch_add(self.last_seq - previous, Ordering::Relaxed);
        self.stats
            .committed_seq
            .store(self.last_seq, Ordering::Relaxed);
        if let Err(e) = self.spool.ack(self.last_seq) {
            // Only segment clean-up depends on it; the data is safe.
            tracing::warn!("spool acknowledgement failed: {e}");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoRules;

    impl Detector for NoRules {
        fn detect(&self, _: &Event, _: &mut Vec<Detection>) {}
        fn rule_count(&self) -> usize {
            0
        }
    }

    fn record(seq: u64, line: &str) -> vedette_spool::Record {
        vedette_spool::Record {
            seq,
            received: OffsetDateTime::UNIX_EPOCH,
            origin: vedette_model::Origin::new("t", Some("10.0.0.1:514".parse().unwrap())),
            truncated: false,
            payload: line.as_bytes().to_vec(),
        }
    }

    /// A W3C `#Fields:` in a large batch sets the layout of the records
    /// after it: such a batch is parsed in order, whatever its size.
    #[test]
    fn a_batch_with_a_w3c_directive_is_parsed_in_order() {
        let prepare = Prepare {
            parser: Parser::default(),
            detector: Arc::new(NoRules),
        };
        let mut recs = vec![record(
            1,
            "#Fields: date time c-ip cs-method cs-uri-stem sc-status",
        )];
        for seq in 2..=(PARALLEL_MIN as u64 * 4) {
            recs.push(record(seq, "2026-11-25 03:00:00 198.51.100.7 GET /a 200"));
        }
        let out = prepare.batch(recs);
        assert_eq!(out.len(), PARALLEL_MIN * 4);
        for p in &out[1..] {
            assert_eq!(p.event.error, None, "record {}", p.event.seq);
            assert_eq!(p.event.get_str("source.ip"), Some("198.51.100.7"));
        }
    }
}
