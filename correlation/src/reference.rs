//! rsigma's own engine, as its command line runs it: every detection rule in
//! one [`rsigma_eval::Engine`] with its defaults (its witness index and
//! cross-rule prefilters included), events as flat JSON. Benchmarks measure
//! Vedette's matcher against this baseline in the same run; nothing in the
//! pipeline uses it.

use std::path::PathBuf;

use rsigma_eval::{Engine, JsonEvent};

/// The baseline engine (see the module docs).
pub struct ReferenceEngine {
    engine: Engine,
}

impl std::fmt::Debug for ReferenceEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferenceEngine")
            .field("rules", &self.engine.rule_count())
            .finish()
    }
}

impl ReferenceEngine {
    /// Loads the detection rules of every `.yml`/`.yaml` file under
    /// `paths`, as [`crate::SigmaRuleSet::load`] finds them; rules that do
    /// not parse or compile are skipped (and counted).
    pub fn load(paths: &[PathBuf]) -> (ReferenceEngine, usize) {
        let (sources, _) = crate::load::read_sources(paths);
        let mut engine = Engine::new();
        let mut failed = 0;
        for (_, text) in &sources {
            match rsigma_parser::parse_sigma_yaml(text) {
                Ok(c) => {
                    for r in &c.rules {
                        if engine.add_rule(r).is_err() {
                            failed += 1;
                        }
                    }
                }
                Err(_) => failed += 1,
            }
        }
        (ReferenceEngine { engine }, failed)
    }

    /// How many rules compiled.
    pub fn rule_count(&self) -> usize {
        self.engine.rule_count()
    }

    /// How many rules match `event` (a flat JSON object).
    pub fn matches(&self, event: &serde_json::Value) -> usize {
        self.engine.evaluate(&JsonEvent::borrow(event)).len()
    }
}
