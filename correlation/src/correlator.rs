//! Stateful correlation: Sigma correlation rules over the stream of
//! detections, in event order, with bounded state that survives a restart.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rsigma_eval::{
    CorrelationEngine, CorrelationEventMode, CorrelationSnapshot, DetectionBody, EvaluationResult,
    ResultBody, RuleHeader,
};
use serde::{Deserialize, Serialize};
use vedette_model::{AlertCorrelation, Event};

use crate::adapter::CorrelationEvent;
use crate::meta::CorrelationSet;
use crate::Detection;

/// How often (in event time) windows that have ended are dropped.
const SWEEP_SECS: i64 = 30;
/// How far past its receive time an event's own time may move the clock
/// that ends windows: a device whose clock runs years ahead must not end
/// every open window at once.
const MAX_AHEAD_SECS: i64 = 3600;
/// Format version of the state file.
const STATE_FORMAT: u32 = 1;

/// Limits of the correlation state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorrelationConfig {
    /// Most open groups (one per correlation rule and `group-by` value),
    /// all rules together. When reached, windows that have ended are
    /// dropped, and if that is not enough the groups whose latest event is
    /// oldest are dropped until 90% of the cap is left (counted in
    /// [`CorrelatorStats::evicted`]).
    pub max_groups: usize,
    /// Most entries (events, values or rule hits) one group keeps; beyond
    /// it the oldest are dropped, which can only under-count. A correlation
    /// whose threshold is above this cap cannot fire.
    pub max_group_entries: usize,
    /// Most event ids a group keeps to list in its alert (the newest).
    pub max_linked_events: usize,
}

impl Default for CorrelationConfig {
    fn default() -> Self {
        CorrelationConfig {
            max_groups: 1_000_000,
            max_group_entries: 10_000,
            max_linked_events: 16,
        }
    }
}

/// Counters of a [`Correlator`], shared with whoever reports them.
#[derive(Debug, Default)]
pub struct CorrelatorStats {
    /// Groups open now.
    pub open_groups: AtomicU64,
    /// Groups dropped because [`CorrelationConfig::max_groups`] was reached
    /// (not those whose window simply ended).
    pub evicted: AtomicU64,
    /// Correlation rules that fired (including those that raise no alert
    /// because another correlation uses them with `generate: false`).
    pub fired: AtomicU64,
}

/// A correlation rule (engine id) and one of its groups (`group-by`
/// name and value pairs, in the rule's order).
type GroupRef = (String, Vec<(String, String)>);

/// Events a correlation that feeds another one saw when it last fired, for
/// the alert of the one it feeds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ChainFire {
    /// Event time of the firing, seconds.
    ts: i64,
    /// Event ids, ascending.
    events: Vec<u64>,
}

/// The correlation state of one node.
///
/// Stateless detection ([`crate::Detector::detect`]) runs on any thread;
/// its matches are then given to [`Correlator::process`] one event at a
/// time, in spool order, on one thread. Windows follow the events' own
/// time (`@timestamp`), never the wall clock, so old logs imported later
/// correlate as they happened and a replay after a crash decides exactly as
/// the first run did.
pub struct Correlator {
    set: Arc<CorrelationSet>,
    engine: CorrelationEngine,
    cfg: CorrelationConfig,
    stats: Arc<CorrelatorStats>,
    /// The latest event time seen (bounded by receive time + 1 h).
    watermark: i64,
    /// The watermark at the last sweep of ended windows.
    last_sweep: i64,
    /// (correlation fed, its group) -> the events its feeders last fired on.
    chains: HashMap<GroupRef, ChainFire>,
    /// (value_percentile correlation, group) -> time of its last alert.
    percentile_alerts: HashMap<GroupRef, i64>,
    /// Shared empty attribute map for the detections handed to rsigma.
    no_attributes: Arc<HashMap<String, serde_json::Value>>,
}

impl std::fmt::Debug for Correlator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Correlator")
            .field("rules", &self.set.len())
            .field("open_groups", &self.engine.state_count())
            .field("config", &self.cfg)
            .finish()
    }
}

impl Correlator {
    pub(crate) fn new(set: Arc<CorrelationSet>, cfg: CorrelationConfig) -> Correlator {
        let config = rsigma_eval::CorrelationConfig {
            max_state_entries: cfg.max_groups.max(1),
            max_group_entries: Some(cfg.max_group_entries.max(1)),
            correlation_event_mode: CorrelationEventMode::Refs,
            max_correlation_events: cfg.max_linked_events,
            ..rsigma_eval::CorrelationConfig::default()
        };
        let mut engine = CorrelationEngine::new(config);
        // The detection rules are registered only so that rsigma knows their
        // ids and names; it never evaluates them (detection runs in the
        // rule set's buckets). Both were checked when the set was built.
        for r in &set.detections {
            if let Err(e) = engine.add_rule(r) {
                tracing::error!(rule = ?r.id, "correlation engine refused a detection rule: {e}");
            }
        }
        for c in &set.rules {
            if let Err(e) = engine.add_correlation(c) {
                tracing::error!(rule = ?c.id, "correlation engine refused a correlation rule: {e}");
            }
        }
        Correlator {
            set,
            engine,
            cfg,
            stats: Arc::new(CorrelatorStats::default()),
            watermark: 0,
            last_sweep: 0,
            chains: HashMap::new(),
            percentile_alerts: HashMap::new(),
            no_attributes: Arc::new(HashMap::new()),
        }
    }

    /// Keeps counting into `stats` (another correlator's, when the rule
    /// set is replaced while running), so readers keep one handle.
    #[must_use]
    pub fn with_stats(mut self, stats: Arc<CorrelatorStats>) -> Correlator {
        self.stats = stats;
        self
    }

    /// The counters, to read from another thread.
    pub fn stats(&self) -> Arc<CorrelatorStats> {
        self.stats.clone()
    }

    /// How many correlation rules run.
    pub fn rule_count(&self) -> usize {
        self.set.len()
    }

    /// Groups open now.
    pub fn open_groups(&self) -> usize {
        self.engine.state_count()
    }

    /// Feeds one event's detections (from [`crate::Detector::detect`]) to
    /// the correlation rules. Afterwards `hits` holds the alerts to raise:
    /// the detections minus those of rules that only feed `generate: false`
    /// correlations, plus every correlation that fired on this event.
    ///
    /// Events must come in spool order; their time is `event.timestamp`.
    pub fn process(&mut self, event: &Event, hits: &mut Vec<Detection>) {
        if self.set.is_empty() {
            return;
        }
        let ts = event.timestamp.unix_timestamp().max(0);
        let ahead = event
            .received
            .unix_timestamp()
            .saturating_add(MAX_AHEAD_SECS);
        self.watermark = self.watermark.max(ts.min(ahead));
        if self.watermark - self.last_sweep >= SWEEP_SECS {
            self.sweep();
        }

        let mut feed: Vec<EvaluationResult> = Vec::new();
        for h in hits.iter() {
            if h.correlation.is_some() {
                continue;
            }
            if let Some(eid) = self.set.feed.get(&h.rule_id) {
                if feed
                    .iter()
                    .any(|f| f.header.rule_id.as_deref() == Some(eid.as_str()))
                {
                    continue;
                }
                feed.push(EvaluationResult {
                    header: RuleHeader {
                        rule_title: h.title.clone(),
                        rule_id: Some(eid.clone()),
                        level: None,
                        tags: Vec::new(),
                        custom_attributes: self.no_attributes.clone(),
                        enrichments: None,
                    },
                    body: ResultBody::Detection(DetectionBody {
                        matched_selections: Vec::new(),
                        matched_fields: Vec::new(),
                        event: None,
                    }),
                });
            }
        }
        if !self.set.silenced.is_empty() {
            hits.retain(|h| !self.set.silenced.contains(&h.rule_id));
        }
        if feed.is_empty() {
            return;
        }
        self.enforce_cap();
        let results = self
            .engine
            .process_with_detections(&CorrelationEvent(event), feed, ts);
        let max = self.cfg.max_linked_events;
        for r in results {
            let (Some(eid), ResultBody::Correlation(body)) = (r.header.rule_id, r.body) else {
                continue;
            };
            let Some(meta) = self.set.meta.get(&eid) else {
                continue;
            };
            if let Some(check) = &meta.percentile {
                if !check.holds(body.aggregated_value) {
                    continue;
                }
                let key = (eid.clone(), body.group_key.clone());
                if let Some(&last) = self.percentile_alerts.get(&key) {
                    if ts - last < check.suppress_secs as i64 {
                        continue;
                    }
                }
                self.percentile_alerts.insert(key, ts);
            }
            self.stats.fired.fetch_add(1, Ordering::Relaxed);
            let mut linked: Vec<u64> = body
                .event_refs
                .unwrap_or_default()
                .iter()
                .filter_map(|r| r.id.as_deref()?.parse().ok())
                .collect();
            if let Some(fed) = self.chains.get(&(eid.clone(), body.group_key.clone())) {
                linked.extend(&fed.events);
            }
            keep_newest(&mut linked, max);
            if let Some(parents) = self.set.parents.get(&eid) {
                for p in parents {
                    let Some(pm) = self.set.meta.get(p) else {
                        continue;
                    };
                    // The parent's group: this group's values of the
                    // parent's group-by fields, in its order.
                    let group: Vec<(String, String)> = pm
                        .group_by
                        .iter()
                        .filter_map(|n| body.group_key.iter().find(|(k, _)| k == n).cloned())
                        .collect();
                    let fire = self
                        .chains
                        .entry((p.clone(), group))
                        .or_insert_with(|| ChainFire {
                            ts,
                            events: Vec::new(),
                        });
                    fire.ts = fire.ts.max(ts);
                    fire.events.extend(&linked);
                    keep_newest(&mut fire.events, max);
                }
            }
            if self.set.silenced.contains(&meta.key) {
                continue;
            }
            hits.push(Detection {
                rule_id: meta.key.clone(),
                title: meta.title.clone(),
                level: meta.level,
                tags: meta.tags.clone(),
                correlation: Some(AlertCorrelation {
                    kind: meta.kind.to_string(),
                    group: body.group_key.into_iter().collect(),
                    value: body.aggregated_value,
                    timespan_secs: body.timespan_secs,
                    linked_events: linked,
                }),
            });
        }
        self.stats
            .open_groups
            .store(self.engine.state_count() as u64, Ordering::Relaxed);
    }

    /// Drops the windows that ended before the watermark.
    fn sweep(&mut self) {
        self.last_sweep = self.watermark;
        if self.engine.state_count() >= self.cfg.max_groups {
            // rsigma would also apply the cap; let the counted path do it.
            self.enforce_cap();
        } else {
            self.engine.evict_expired(self.watermark);
        }
        let set = &self.set;
        let now = self.watermark;
        self.chains.retain(|(parent, _), fire| {
            set.meta
                .get(parent)
                .is_some_and(|m| now - fire.ts <= m.timespan_secs as i64)
        });
        self.percentile_alerts.retain(|(id, _), last| {
            set.meta
                .get(id)
                .and_then(|m| m.percentile.as_ref())
                .is_some_and(|p| now - *last < p.suppress_secs as i64)
        });
        self.stats
            .open_groups
            .store(self.engine.state_count() as u64, Ordering::Relaxed);
    }

    /// At the cap: rsigma first drops ended windows, and if the cap is
    /// still reached drops the groups whose latest event is oldest until
    /// 90% of the cap is left. Only the second kind is counted as evicted.
    fn enforce_cap(&mut self) {
        let before = self.engine.state_count();
        let max = self.cfg.max_groups.max(1);
        if before < max {
            return;
        }
        self.engine.evict_expired(self.watermark);
        let after = self.engine.state_count();
        // rsigma leaves exactly 90% after a cap eviction; when ended windows
        // alone brought the count under the cap, it leaves more.
        if after == max * 9 / 10 {
            self.stats
                .evicted
                .fetch_add((before - after) as u64, Ordering::Relaxed);
        }
        let cap = max;
        if self.chains.len() >= cap {
            let mut by_age: Vec<(i64, GroupRef)> =
                self.chains.iter().map(|(k, v)| (v.ts, k.clone())).collect();
            by_age.sort_unstable_by_key(|(ts, _)| *ts);
            for (_, k) in by_age.into_iter().take(cap / 10 + 1) {
                self.chains.remove(&k);
            }
        }
    }

    fn saved(&self, seq: u64) -> Saved {
        let mut engine = self.engine.export_state();
        // Ids of event-less groups are not needed once restored.
        engine.event_buffers.clear();
        Saved {
            format: STATE_FORMAT,
            seq,
            watermark: self.watermark,
            last_sweep: self.last_sweep,
            rules: self
                .set
                .meta
                .iter()
                .map(|(k, m)| (k.clone(), m.fingerprint))
                .collect(),
            engine,
            chains: self
                .chains
                .iter()
                .map(|(k, f)| (k.clone(), f.clone()))
                .collect(),
            percentile_alerts: self
                .percentile_alerts
                .iter()
                .map(|(k, ts)| (k.clone(), *ts))
                .collect(),
        }
    }

    fn restore(&mut self, saved: Saved) -> Result<usize, String> {
        if saved.format != STATE_FORMAT {
            return Err(format!("unknown state format {}", saved.format));
        }
        let mut snap = saved.engine;
        // Keep only the state of correlations whose definition is the same
        // as when it was saved; the engine drops rules it does not know.
        let same = |id: &String| {
            self.set
                .meta
                .get(id)
                .is_some_and(|m| saved.rules.get(id) == Some(&m.fingerprint))
        };
        snap.windows.retain(|id, _| same(id));
        snap.last_alert.retain(|id, _| same(id));
        snap.event_buffers.retain(|id, _| same(id));
        snap.event_ref_buffers.retain(|id, _| same(id));
        if !self.engine.import_state(snap) {
            return Err("the correlation engine refused the saved state's version".into());
        }
        self.watermark = saved.watermark;
        self.last_sweep = saved.last_sweep;
        for (k, f) in saved.chains {
            if same(&k.0) {
                self.chains.insert(k, f);
            }
        }
        for (k, ts) in saved.percentile_alerts {
            if same(&k.0) {
                self.percentile_alerts.insert(k, ts);
            }
        }
        let open = self.engine.state_count();
        self.stats.open_groups.store(open as u64, Ordering::Relaxed);
        Ok(open)
    }
}

/// Sorts, deduplicates and keeps the newest (highest) `max` event ids.
fn keep_newest(ids: &mut Vec<u64>, max: usize) {
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > max {
        ids.drain(..ids.len() - max);
    }
}

/// The state file's content.
#[derive(Serialize, Deserialize)]
struct Saved {
    format: u32,
    /// The last spool seq whose event this state includes.
    seq: u64,
    watermark: i64,
    last_sweep: i64,
    /// Engine id -> definition digest of each correlation rule.
    rules: HashMap<String, u64>,
    engine: CorrelationSnapshot,
    chains: Vec<(GroupRef, ChainFire)>,
    percentile_alerts: Vec<(GroupRef, i64)>,
}

/// Reading or writing the correlation state file failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A file operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The file's content is not a state this version understands.
    #[error("{path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
}

/// What [`StateFile::restore`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreOutcome {
    /// The state was restored, with this many open groups.
    Restored {
        /// Open groups restored.
        groups: usize,
    },
    /// No state was saved (a new data directory, or no correlation rules
    /// ran before).
    Missing,
    /// The saved states are for other spool positions than the one the
    /// pipeline resumes after; nothing was restored.
    Stale {
        /// The positions found.
        found: Vec<u64>,
    },
}

/// The correlation state on disk: `<dir>/correlation-state.json`, written
/// atomically (temporary file, fsync, rename, fsync of the directory) and
/// tagged with the spool seq it covers. The previous state is kept as
/// `correlation-state.prev.json`, so that a crash between writing the state
/// and committing the index (which the state must match) still finds a
/// matching one.
#[derive(Debug, Clone)]
pub struct StateFile {
    dir: PathBuf,
}

impl StateFile {
    /// The state file in `dir` (the data directory).
    pub fn new(dir: &Path) -> StateFile {
        StateFile {
            dir: dir.to_path_buf(),
        }
    }

    fn current(&self) -> PathBuf {
        self.dir.join("correlation-state.json")
    }

    fn previous(&self) -> PathBuf {
        self.dir.join("correlation-state.prev.json")
    }

    /// Saves `c`'s state as covering every event up to spool seq `seq`.
    /// Does nothing when no correlation rule runs.
    pub fn save(&self, c: &Correlator, seq: u64) -> Result<(), StateError> {
        if c.set.is_empty() {
            return Ok(());
        }
        let io = |op, path: &Path| {
            let path = path.to_path_buf();
            move |source| StateError::Io { op, path, source }
        };
        let tmp = self.dir.join("correlation-state.tmp");
        let f = File::create(&tmp).map_err(io("creating", &tmp))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        serde_json::to_writer(&mut w, &c.saved(seq)).map_err(|e| StateError::Invalid {
            path: tmp.clone(),
            reason: format!("serializing: {e}"),
        })?;
        w.flush().map_err(io("writing", &tmp))?;
        let f = w.into_inner().map_err(|e| StateError::Io {
            op: "writing",
            path: tmp.clone(),
            source: e.into_error(),
        })?;
        f.sync_all().map_err(io("syncing", &tmp))?;
        drop(f);
        let cur = self.current();
        if cur.exists() {
            std::fs::rename(&cur, self.previous()).map_err(io("renaming", &cur))?;
        }
        std::fs::rename(&tmp, &cur).map_err(io("renaming", &tmp))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io("syncing", &self.dir))?;
        Ok(())
    }

    fn read(path: &Path) -> Result<Option<Saved>, StateError> {
        let f = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StateError::Io {
                    op: "opening",
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        serde_json::from_reader(BufReader::with_capacity(1 << 20, f))
            .map(Some)
            .map_err(|e| StateError::Invalid {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })
    }

    /// Restores into `c` (new, empty) the saved state that covers exactly
    /// the events up to `seq`, the spool position the pipeline resumes
    /// after.
    ///
    /// A state for any other position is not used: restoring an older one
    /// would miss the events between it and `seq` (they are not replayed),
    /// a newer one would count the replayed events twice. Starting empty
    /// only loses windows that were open; it never raises a false alert.
    pub fn restore(&self, c: &mut Correlator, seq: u64) -> Result<RestoreOutcome, StateError> {
        let mut found = Vec::new();
        let mut last_err = None;
        for path in [self.current(), self.previous()] {
            match Self::read(&path) {
                Ok(Some(saved)) if saved.seq == seq => {
                    return c
                        .restore(saved)
                        .map(|groups| RestoreOutcome::Restored { groups })
                        .map_err(|reason| StateError::Invalid { path, reason });
                }
                Ok(Some(saved)) => found.push(saved.seq),
                Ok(None) => {}
                Err(e) => last_err = Some(e),
            }
        }
        match (found.is_empty(), last_err) {
            (true, Some(e)) => Err(e),
            (true, None) => Ok(RestoreOutcome::Missing),
            (false, _) => Ok(RestoreOutcome::Stale { found }),
        }
    }
}

/// In memory, for tests and benchmarks: the state as [`StateFile`] would
/// save it, and back.
impl Correlator {
    /// The state as bytes (the state file's content).
    pub fn export_bytes(&self, seq: u64) -> Vec<u8> {
        serde_json::to_vec(&self.saved(seq)).unwrap_or_default()
    }

    /// Restores state from [`Correlator::export_bytes`] into this (new,
    /// empty) correlator; returns the open groups restored.
    pub fn import_bytes(&mut self, bytes: &[u8]) -> Result<usize, String> {
        let saved: Saved = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        self.restore(saved)
    }
}
