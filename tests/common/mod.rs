//! What the corpus-reading tests (`regression.rs`, `oracle.rs`) share:
//! where the shared corpora are, and walking a folder.

use std::path::{Path, PathBuf};

/// The shared corpora: `$VEDETTE_CORPORA`, else `../shared/corpora` beside
/// the workspace, else `/work/shared/corpora`; the first that holds
/// SigmaHQ's regression data.
pub fn corpora() -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates = [
        std::env::var_os("VEDETTE_CORPORA").map(PathBuf::from),
        Some(workspace.join("../shared/corpora")),
        Some(PathBuf::from("/work/shared/corpora")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("sigmahq/regression_data").is_dir())
}

/// Every file under `dir` (recursively) whose name satisfies `keep`, sorted.
pub fn walk(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, keep, out);
        } else if keep(&p) {
            out.push(p);
        }
    }
}
