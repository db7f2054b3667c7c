//! Opening the database: URL scheme, connection settings, migrations.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, AnyPool, Executor};
use time::OffsetDateTime;

use crate::error::{Result, StoreError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a console session lives unless [`Store::with_session_ttl`] says
/// otherwise: 12 hours.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// How long a SQLite connection waits for another writer (another process,
/// such as the CLI while the server runs) before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Pool size for a SQLite file: readers run in parallel under WAL, writers
/// take turns.
const SQLITE_MAX_CONNECTIONS: u32 = 8;

/// Pool size for PostgreSQL.
const POSTGRES_MAX_CONNECTIONS: u32 = 16;

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The relational state of Vedette: alerts, users, API tokens and console
/// sessions, in SQLite or PostgreSQL.
///
/// Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    pub(crate) session_ttl: Duration,
}

impl Store {
    /// Opens (and creates when missing) the database at `url`, then applies
    /// the schema migrations that it lacks.
    ///
    /// * `sqlite:///abs/path/vedette.db` or `sqlite://relative.db`: a SQLite
    ///   file, created when missing unless the URL sets `mode=`. Every
    ///   connection uses WAL journaling, `synchronous=NORMAL` and a 5 s busy
    ///   timeout, so another process can write while the server runs.
    /// * `sqlite::memory:`: a private in-memory database (tests, demos).
    /// * `postgres://user@host:5432/db` (or `postgresql://`).
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or(url);
        let backend = match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" => Backend::Postgres,
            _ => {
                return Err(StoreError::UnsupportedUrl {
                    scheme: scheme.chars().take(32).collect(),
                })
            }
        };
        let pool = match backend {
            Backend::Sqlite => open_sqlite(url).await?,
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(POSTGRES_MAX_CONNECTIONS)
                    .connect(url)
                    .await?
            }
        };
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        if let Err(e) = migrator.run(&pool).await {
            pool.close().await;
            return Err(e.into());
        }
        tracing::debug!(backend = backend.name(), "store opened");
        Ok(Store {
            pool,
            backend,
            session_ttl: DEFAULT_SESSION_TTL,
        })
    }

    /// The same store with console sessions living `ttl` instead of
    /// [`DEFAULT_SESSION_TTL`].
    #[must_use]
    pub fn with_session_ttl(mut self, ttl: Duration) -> Store {
        self.session_ttl = ttl;
        self
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        self.backend.name()
    }

    /// Closes every connection, waiting for those in use to be returned.
    /// Every clone of this store is closed too.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A SQLite URL as the driver should see it, and whether it is in memory.
///
/// A relative path is made absolute against `cwd`: the driver goes through
/// a URL parser that would otherwise mistake its first segment for a host
/// and drop `..` segments. `mode=rwc` (create when missing) is added unless
/// the URL sets a mode.
fn sqlite_url(
    url: &str,
    cwd: impl FnOnce() -> std::io::Result<std::path::PathBuf>,
) -> Result<(String, bool)> {
    let rest = url.split_once(':').map_or("", |(_, r)| r);
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q).filter(|q| !q.is_empty())),
        None => (rest, None),
    };
    let params = || query.into_iter().flat_map(|q| q.split('&'));
    let in_memory = path == ":memory:" || params().any(|kv| kv == "mode=memory");
    if in_memory {
        return Ok((url.to_string(), true));
    }
    if path.is_empty() {
        return Err(StoreError::invalid("url", "no SQLite file path"));
    }
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        let cwd = cwd().map_err(|e| {
            StoreError::invalid(
                "url",
                format!("relative SQLite path, current directory unknown: {e}"),
            )
        })?;
        // Escape what the URL parser would take for syntax; the driver
        // percent-decodes the path.
        let mut abs = String::new();
        for c in cwd.to_string_lossy().chars() {
            match c {
                '%' => abs.push_str("%25"),
                '?' => abs.push_str("%3F"),
                '#' => abs.push_str("%23"),
                c => abs.push(c),
            }
        }
        if !abs.ends_with('/') {
            abs.push('/');
        }
        abs.push_str(path);
        abs
    };
    let has_mode = params().any(|kv| kv.starts_with("mode="));
    let url = match (query, has_mode) {
        (Some(q), true) => format!("sqlite://{path}?{q}"),
        (Some(q), false) => format!("sqlite://{path}?{q}&mode=rwc"),
        (None, _) => format!("sqlite://{path}?mode=rwc"),
    };
    Ok((url, false))
}

async fn open_sqlite(url: &str) -> Result<AnyPool> {
    let (url, in_memory) = sqlite_url(url, std::env::current_dir)?;
    let options = AnyPoolOptions::new().after_connect(move |conn, _meta| {
        Box::pin(async move { sqlite_pragmas(conn, in_memory).await })
    });
    let options = if in_memory {
        // An in-memory database lives as long as its last connection: keep
        // exactly one, forever.
        options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        options.max_connections(SQLITE_MAX_CONNECTIONS)
    };
    Ok(options.connect(&url).await?)
}

async fn sqlite_pragmas(conn: &mut AnyConnection, in_memory: bool) -> Result<(), sqlx::Error> {
    let busy = format!("PRAGMA busy_timeout = {}", SQLITE_BUSY_TIMEOUT.as_millis());
    conn.execute(busy.as_str()).await?;
    if !in_memory {
        conn.execute("PRAGMA journal_mode = WAL").await?;
    }
    conn.execute("PRAGMA synchronous = NORMAL").await?;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    Ok(())
}

/// Now as unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    to_ms(OffsetDateTime::now_utc())
}

/// A time as unix milliseconds (sub-millisecond precision is dropped).
pub(crate) fn to_ms(t: OffsetDateTime) -> i64 {
    // `time` limits years to +-9999, far inside i64 milliseconds.
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

/// Unix milliseconds back to a time.
pub(crate) fn from_ms(what: &'static str, ms: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|e| StoreError::corrupt(what, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_roundtrip() {
        let t = vedette_model::parse_time("2026-11-25T03:00:00.123Z").unwrap();
        assert_eq!(to_ms(t), 1_795_575_600_123);
        assert_eq!(from_ms("t", to_ms(t)).unwrap(), t);
        let before_epoch = vedette_model::parse_time("1969-12-31T23:59:59.999Z").unwrap();
        assert_eq!(to_ms(before_epoch), -1);
        assert_eq!(from_ms("t", -1).unwrap(), before_epoch);
        assert!(from_ms("t", i64::MAX).is_err());
    }

    #[test]
    fn sqlite_urls() {
        let cwd = || Ok(std::path::PathBuf::from("/srv/vedette"));
        let ok = |u: &str| sqlite_url(u, cwd).unwrap();
        assert_eq!(
            ok("sqlite:///var/lib/v.db"),
            ("sqlite:///var/lib/v.db?mode=rwc".into(), false)
        );
        assert_eq!(
            ok("sqlite://v.db"),
            ("sqlite:///srv/vedette/v.db?mode=rwc".into(), false)
        );
        assert_eq!(
            ok("sqlite:v.db"),
            ("sqlite:///srv/vedette/v.db?mode=rwc".into(), false)
        );
        assert_eq!(
            ok("sqlite://../data/v.db"),
            ("sqlite:///srv/vedette/../data/v.db?mode=rwc".into(), false)
        );
        assert_eq!(
            ok("sqlite:///v.db?mode=ro"),
            ("sqlite:///v.db?mode=ro".into(), false)
        );
        assert_eq!(
            ok("sqlite:///v.db?cache=private"),
            ("sqlite:///v.db?cache=private&mode=rwc".into(), false)
        );
        assert_eq!(
            ok("sqlite:///v.db?"),
            ("sqlite:///v.db?mode=rwc".into(), false)
        );
        assert_eq!(ok("sqlite::memory:"), ("sqlite::memory:".into(), true));
        assert_eq!(
            ok("sqlite://x?mode=memory"),
            ("sqlite://x?mode=memory".into(), true)
        );
        let odd = || Ok(std::path::PathBuf::from("/a?b#c%d/"));
        assert_eq!(
            sqlite_url("sqlite://v.db", odd).unwrap().0,
            "sqlite:///a%3Fb%23c%25d/v.db?mode=rwc"
        );
        for bad in ["sqlite:", "sqlite://", "sqlite://?mode=rwc"] {
            assert!(
                matches!(
                    sqlite_url(bad, cwd),
                    Err(StoreError::Invalid { field: "url", .. })
                ),
                "{bad}"
            );
        }
        let no_cwd = || Err(std::io::Error::other("gone"));
        assert!(sqlite_url("sqlite://v.db", no_cwd).is_err());
    }

    #[tokio::test]
    async fn unsupported_scheme() {
        let e = Store::open("mysql://root:hunter2@localhost/db")
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::UnsupportedUrl { ref scheme } if scheme == "mysql"));
        assert!(!e.to_string().contains("hunter2"));
    }
}
