//! `/metrics`: the node's counters in Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use vedette_collectors::CollectorStats;
use vedette_correlation::CorrelatorStats;
use vedette_spool::SpoolHandle;

use crate::node::PipelineStats;

/// Everything `/metrics` reports.
pub struct NodeMetrics {
    /// Pipeline counters.
    pub pipeline: Arc<PipelineStats>,
    /// Collector counters, per source.
    pub collectors: Arc<CollectorStats>,
    /// The spool, for depth and size.
    pub spool: SpoolHandle,
    /// Correlation rules loaded.
    pub correlation_rules: usize,
    /// Correlation state counters.
    pub correlation: Arc<CorrelatorStats>,
}

fn metric(out: &mut String, name: &str, kind: &str, help: &str, value: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
    );
}

impl vedette_console::MetricsSource for NodeMetrics {
    fn sources(&self) -> Vec<vedette_console::SourceCount> {
        let mut out: Vec<vedette_console::SourceCount> = self
            .collectors
            .snapshot()
            .sources
            .into_iter()
            .map(|s| vedette_console::SourceCount {
                source: s.source.to_string(),
                frames: s.frames,
                last_seen: s.last_seen,
            })
            .collect();
        out.sort_by(|a, b| b.frames.cmp(&a.frames).then(a.source.cmp(&b.source)));
        out.truncate(20);
        out
    }

    fn render(&self, out: &mut String) {
        let p = &self.pipeline;
        let c = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        metric(
            out,
            "vedette_events_in_total",
            "counter",
            "Frames accepted into the spool, counted once fsynced.",
            c(&p.spooled),
        );
        metric(
            out,
            "vedette_events_processed_total",
            "counter",
            "Events taken from the spool and processed.",
            c(&p.processed),
        );
        metric(
            out,
            "vedette_events_parsed_total",
            "counter",
            "Events a parser understood.",
            c(&p.parsed),
        );
        metric(
            out,
            "vedette_events_failed_total",
            "counter",
            "Events kept raw because no parser understood them.",
            c(&p.failed),
        );
        metric(
            out,
            "vedette_events_indexed_total",
            "counter",
            "Events committed to the search index.",
            c(&p.indexed),
        );
        metric(
            out,
            "vedette_alerts_total",
            "counter",
            "Alerts raised.",
            c(&p.alerts),
        );
        metric(
            out,
            "vedette_spool_full_waits_total",
            "counter",
            "Times intake paused because the spool was full.",
            c(&p.spool_full_waits),
        );
        metric(
            out,
            "vedette_index_committed_seq",
            "gauge",
            "Last spool sequence number committed to the index.",
            c(&p.committed_seq),
        );
        let _ = writeln!(
            out,
            "# HELP vedette_pipeline_seconds_total Wall-clock time the pipeline spent per stage.\n# TYPE vedette_pipeline_seconds_total counter"
        );
        for (stage, v) in [
            ("parse_detect", &p.prepare_nanos),
            ("index", &p.index_nanos),
            ("wait_alert_writes", &p.store_nanos),
            ("commit", &p.commit_nanos),
            ("correlate", &p.correlate_nanos),
            ("correlation_state", &p.correlation_state_nanos),
        ] {
            let _ = writeln!(
                out,
                "vedette_pipeline_seconds_total{{stage=\"{stage}\"}} {:.3}",
                c(v) as f64 / 1e9
            );
        }
        let s = self.spool.stats();
        metric(
            out,
            "vedette_spool_depth",
            "gauge",
            "Records in the spool not yet processed.",
            s.depth,
        );
        metric(
            out,
            "vedette_spool_bytes",
            "gauge",
            "Bytes of spool segments on disk.",
            s.bytes_on_disk,
        );
        metric(
            out,
            "vedette_spool_last_seq",
            "gauge",
            "Last sequence number written to the spool.",
            s.last_seq,
        );
        metric(
            out,
            "vedette_rules_loaded",
            "gauge",
            "Detection rules loaded.",
            p.rules_loaded.load(Ordering::Relaxed),
        );
        metric(
            out,
            "vedette_rule_reloads_total",
            "counter",
            "Times changed rule files were loaded while running.",
            p.rule_reloads.load(Ordering::Relaxed),
        );
        metric(
            out,
            "vedette_correlation_rules_loaded",
            "gauge",
            "Correlation rules loaded.",
            self.correlation_rules as u64,
        );
        let k = &self.correlation;
        metric(
            out,
            "vedette_correlation_open_groups",
            "gauge",
            "Correlation groups (rule and group-by value) with events in their window.",
            c(&k.open_groups),
        );
        metric(
            out,
            "vedette_correlation_groups_evicted_total",
            "counter",
            "Correlation groups dropped because [detection] max_correlation_groups was reached (stalest first); windows that ended are not counted.",
            c(&k.evicted),
        );
        metric(
            out,
            "vedette_correlation_fired_total",
            "counter",
            "Correlation rules that fired, including those used only by another correlation.",
            c(&k.fired),
        );
        self.collectors.render_prometheus(out);
    }
}
