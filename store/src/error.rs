//! The store's one error type.

/// `Result` with [`StoreError`].
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything that can go wrong in the store.
///
/// No variant ever carries a password, an API token, a session id or a
/// database URL (which may hold a password): only names and reasons.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed (connection, I/O, SQL).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),

    /// Applying the embedded schema migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    /// The database URL names a scheme the store does not support.
    #[error("unsupported database URL scheme {scheme:?} (expected sqlite: or postgres:)")]
    UnsupportedUrl {
        /// The scheme found (the text before the first `:`).
        scheme: String,
    },

    /// A unique name is already taken.
    #[error("{what} {name:?} already exists")]
    Conflict {
        /// What kind of thing: `user`, `token`.
        what: &'static str,
        /// The name that is taken.
        name: String,
    },

    /// A value given to the store is not acceptable.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field or argument at fault.
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },

    /// The record an operation refers to does not exist.
    #[error("{what} {id} not found")]
    NotFound {
        /// What kind of thing: `user`, `alert`.
        what: &'static str,
        /// Its id.
        id: i64,
    },

    /// A role name that is not one of the known roles.
    #[error("unknown role {name:?} (expected admin, analyst, officer or auditor)")]
    UnknownRole {
        /// The name given.
        name: String,
    },

    /// A stored value could not be read back (edited by hand, or written by
    /// an incompatible version).
    #[error("stored {what} is corrupt: {reason}")]
    Corrupt {
        /// Which value: `alert.severity`, `user.password_hash`, ...
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// Hashing or verifying a password failed for a reason other than a
    /// wrong password.
    #[error("password hashing failed: {reason}")]
    PasswordHash {
        /// The hasher's reason (never the password).
        reason: String,
    },

    /// A background task (password hashing) did not finish.
    #[error("background task failed: {reason}")]
    Task {
        /// Why: panicked or cancelled.
        reason: String,
    },
}

impl StoreError {
    /// Whether this is a [`StoreError::Conflict`].
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict { .. })
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        StoreError::Invalid {
            field,
            reason: reason.into(),
        }
    }

    pub(crate) fn corrupt(what: &'static str, reason: impl ToString) -> Self {
        StoreError::Corrupt {
            what,
            reason: reason.to_string(),
        }
    }
}

/// Whether a database error is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Whether a database error is a foreign-key violation.
pub(crate) fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_foreign_key_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_field() {
        let e = StoreError::invalid("password", "shorter than 12 characters");
        assert_eq!(
            e.to_string(),
            "invalid password: shorter than 12 characters"
        );
        let e = StoreError::Conflict {
            what: "user",
            name: "alice".into(),
        };
        assert!(e.is_conflict());
        assert_eq!(e.to_string(), "user \"alice\" already exists");
        let e = StoreError::UnknownRole {
            name: "root".into(),
        };
        assert!(e.to_string().contains("admin, analyst, officer or auditor"));
    }
}
