//! Opening the index, and what is shared by its writer and searchers.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, IndexSettings, ReloadPolicy};

use crate::error::{Result, SearchError, TantivyContext};
use crate::schema::{self, Fields, SCHEMA_VERSION, VERSION_FILE};
use crate::search::EventSearcher;
use crate::tokenizer;
use crate::writer::EventWriter;

/// The on-disk event index.
///
/// Open it once per process and share it: [`EventIndex::writer`] for the
/// pipeline (one at a time), [`EventIndex::searcher`] for everything else.
#[derive(Clone)]
pub struct EventIndex {
    pub(crate) index: Index,
    pub(crate) fields: Fields,
    reader: IndexReader,
    path: PathBuf,
}

impl std::fmt::Debug for EventIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventIndex")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl EventIndex {
    /// Opens the index in `dir`, creating the directory and an empty index
    /// when there is none.
    ///
    /// Fails with [`SearchError::Version`] when `dir` holds an index of
    /// another schema version (or one without a version: not Vedette's).
    pub fn open(dir: &Path) -> Result<EventIndex> {
        fs::create_dir_all(dir).map_err(|source| SearchError::Io {
            op: "create index directory",
            path: dir.to_path_buf(),
            source,
        })?;
        let directory = MmapDirectory::open(dir).op("open")?;
        let exists = Index::exists(&directory).op("open")?;
        let version_path = dir.join(VERSION_FILE);
        match read_version(&version_path)? {
            Some(found) if found == SCHEMA_VERSION.to_string() => {}
            Some(found) => return Err(version_error(dir, found)),
            None if exists => return Err(version_error(dir, "missing".into())),
            // A new index: record the version before anything else, so that
            // an index without it is never one this code created.
            None => write_version(&version_path)?,
        }
        let (schema, fields) = schema::build();
        let index = if exists {
            let index = Index::open(directory).op("open")?;
            if index.schema() != schema {
                return Err(version_error(
                    dir,
                    format!("{SCHEMA_VERSION} with a different schema"),
                ));
            }
            index
        } else {
            tracing::info!(path = %dir.display(), "creating event index");
            Index::create(directory, schema, IndexSettings::default()).op("create")?
        };
        tokenizer::register(index.tokenizers());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .op("open reader")?;
        Ok(EventIndex {
            index,
            fields,
            reader,
            path: dir.to_path_buf(),
        })
    }

    /// The index directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The writer. Only one can exist at a time (across processes too); a
    /// second one fails until the first is dropped.
    ///
    /// `heap_bytes` is the indexing buffer: a segment is written when it
    /// fills. It is split between at most two indexing threads, each needing
    /// at least 15 MB; below 15 MB this fails.
    pub fn writer(&self, heap_bytes: usize) -> Result<EventWriter> {
        EventWriter::new(self, heap_bytes)
    }

    /// A searcher. Searchers are cheap to clone and share one reader that
    /// picks up new commits shortly after they happen.
    pub fn searcher(&self) -> EventSearcher {
        EventSearcher::new(self, self.reader.clone())
    }

    /// The `through_seq` of the last commit: every event with a spool seq up
    /// to it is in the index, and none after it. 0 when nothing was
    /// committed yet.
    pub fn committed_seq(&self) -> Result<u64> {
        let metas = self.index.load_metas().op("read commit")?;
        match metas.payload.as_deref() {
            None | Some("") => Ok(0),
            Some(p) => p.trim().parse().map_err(|e| SearchError::Corrupt {
                what: "commit payload",
                reason: format!("{p:?} is not a sequence number: {e}"),
            }),
        }
    }
}

fn version_error(dir: &Path, found: String) -> SearchError {
    SearchError::Version {
        path: dir.to_path_buf(),
        found,
        supported: SCHEMA_VERSION,
    }
}

/// The recorded version text, `None` when there is no version file.
fn read_version(path: &Path) -> Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let text = text.trim();
            let shown = &text[..crate::tokenizer::floor_char_boundary(text, 40)];
            Ok(Some(shown.to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SearchError::Io {
            op: "read",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes the version file durably (temporary file, fsync, rename).
fn write_version(path: &Path) -> Result<()> {
    let io = |op: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| SearchError::Io { op, path, source }
    };
    let tmp = path.with_extension("tmp");
    let mut f = fs::File::create(&tmp).map_err(io("create", &tmp))?;
    f.write_all(format!("{SCHEMA_VERSION}\n").as_bytes())
        .map_err(io("write", &tmp))?;
    f.sync_all().map_err(io("sync", &tmp))?;
    fs::rename(&tmp, path).map_err(io("rename", path))?;
    if let Some(parent) = path.parent() {
        // Make the rename durable; not every platform can open a directory.
        if let Ok(d) = fs::File::open(parent) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_then_reopens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("events");
        let index = EventIndex::open(&path).expect("create");
        assert_eq!(index.committed_seq().expect("seq"), 0);
        assert_eq!(index.path(), path);
        drop(index);
        let index = EventIndex::open(&path).expect("reopen");
        assert_eq!(index.committed_seq().expect("seq"), 0);
    }

    #[test]
    fn refuses_unknown_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(EventIndex::open(dir.path()).expect("create"));
        fs::write(dir.path().join(VERSION_FILE), "99\n").expect("write");
        let err = EventIndex::open(dir.path()).expect_err("must refuse");
        assert!(
            matches!(&err, SearchError::Version { found, supported: 1, .. } if found == "99"),
            "{err}"
        );
        assert!(!err.is_user_error());
    }

    #[test]
    fn refuses_foreign_index_without_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(EventIndex::open(dir.path()).expect("create"));
        fs::remove_file(dir.path().join(VERSION_FILE)).expect("remove");
        let err = EventIndex::open(dir.path()).expect_err("must refuse");
        assert!(matches!(&err, SearchError::Version { found, .. } if found == "missing"));
    }

    #[test]
    fn refuses_index_with_other_schema() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut b = tantivy::schema::Schema::builder();
        b.add_text_field("title", tantivy::schema::TEXT);
        Index::create_in_dir(dir.path(), b.build()).expect("foreign index");
        fs::write(dir.path().join(VERSION_FILE), "1\n").expect("write");
        let err = EventIndex::open(dir.path()).expect_err("must refuse");
        assert!(matches!(err, SearchError::Version { .. }), "{err}");
    }

    #[test]
    fn open_fails_cleanly_on_a_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("not-a-dir");
        fs::write(&file, "x").expect("write");
        assert!(EventIndex::open(&file).is_err());
    }
}
