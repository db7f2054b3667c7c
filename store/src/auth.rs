//! Who may use Vedette: users with passwords, API tokens, console sessions.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;
use time::OffsetDateTime;

use crate::alerts::count;
use crate::error::{is_foreign_key_violation, is_unique_violation, Result, StoreError};
use crate::orgs::Scope;
use crate::store::{from_ms, now_ms, Store};

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The longest password accepted, in characters.
const MAX_PASSWORD_CHARS: usize = 1024;

/// The longest user or token name accepted, in characters.
const MAX_NAME_CHARS: usize = 64;

/// What every API token starts with, so that it is recognisable in a
/// configuration file or a secret scanner.
pub const TOKEN_PREFIX: &str = "vdt_";

/// Random bytes in a token or session id.
const SECRET_BYTES: usize = 32;

/// Characters in 32 bytes as unpadded base64.
const SECRET_CHARS: usize = 43;

/// What a principal may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including users and tokens.
    Admin,
    /// Works alerts and searches events.
    Analyst,
    /// An agency's focal officer: follows the alerts that concern the agency.
    Officer,
    /// Reads, changes nothing.
    Auditor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Analyst, Role::Officer, Role::Auditor];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Officer => "officer",
            Role::Auditor => "auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = StoreError;

    /// Parses a role name, case-insensitively.
    fn from_str(s: &str) -> Result<Self> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| StoreError::UnknownRole {
                name: s.chars().take(MAX_NAME_CHARS).collect(),
            })
    }
}

/// How a principal proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    /// A user, with a password (or a session obtained with one).
    User,
    /// An API token.
    Token,
}

/// An authenticated user or API token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Principal {
    /// User or token.
    pub kind: PrincipalKind,
    /// The user's or the token's id.
    pub id: i64,
    /// The user's or the token's name.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The organization it belongs to (slug); `None` is province-wide.
    pub org: Option<String>,
    /// What data it may see: its organization and those below it.
    pub scope: Scope,
    /// The console language a user chose (`en`, `vi`); `None` for tokens
    /// and users who chose none.
    pub lang: Option<String>,
}

impl Principal {
    /// Whether the principal may change things (every role but auditor).
    pub fn can_write(&self) -> bool {
        self.role != Role::Auditor
    }
}

/// An API token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// Its id.
    pub id: i64,
    /// Its unique name.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Its organization (slug); `None` is province-wide.
    pub org: Option<String>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

/// A user as listed: never the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    /// Its id.
    pub id: i64,
    /// Its unique name.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Its organization (slug); `None` is province-wide.
    pub org: Option<String>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

/// A console session just created: the secrets to hand to the browser once.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The session id, for the cookie. Only its hash is stored.
    pub id: String,
    /// The token that forms must echo (anti-CSRF).
    pub csrf: String,
    /// When the session ends.
    pub expires: OffsetDateTime,
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("id", &"<redacted>")
            .field("csrf", &"<redacted>")
            .field("expires", &self.expires)
            .finish()
    }
}

fn check_name(field: &'static str, name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "must not be empty"
    } else if name.chars().count() > MAX_NAME_CHARS {
        "longer than 64 characters"
    } else if name.trim() != name {
        "must not start or end with white space"
    } else if name.chars().any(char::is_control) {
        "must not contain control characters"
    } else {
        return Ok(());
    };
    Err(StoreError::invalid(field, reason))
}

fn check_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(StoreError::invalid(
            "password",
            format!("shorter than {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(StoreError::invalid(
            "password",
            format!("longer than {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

fn parse_role(what: &'static str, s: &str) -> Result<Role> {
    s.parse()
        .map_err(|_| StoreError::corrupt(what, "unknown role"))
}

/// 32 random bytes as unpadded base64url.
fn random_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of a high-entropy secret, as lowercase hex.
pub(crate) fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// An argon2id PHC string for `password`, with a random salt.
fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::PasswordHash {
            reason: e.to_string(),
        })
}

/// Whether `password` matches the PHC string `phc`.
fn check_hash(password: &str, phc: &str) -> Result<bool> {
    let parsed =
        PasswordHash::new(phc).map_err(|e| StoreError::corrupt("user.password_hash", e))?;
    match Argon2::default().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(StoreError::PasswordHash {
            reason: e.to_string(),
        }),
    }
}

/// A hash of a random password, verified against when a user does not
/// exist so that the answer takes as long as for a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_secret()).unwrap_or_default())
}

/// Whether the CSRF token a form sent is the session's, compared in
/// constant time.
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// Runs CPU-heavy work (argon2) off the async workers.
async fn blocking<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Task {
            reason: e.to_string(),
        })?
}

impl Store {
    /// Creates a user with an argon2id hash of `password` and returns its id.
    ///
    /// Refuses an empty or malformed name, a password shorter than
    /// [`MIN_PASSWORD_CHARS`] ([`StoreError::Invalid`]) and a name already
    /// taken ([`StoreError::Conflict`]).
    pub async fn create_user(&self, name: &str, password: &str, role: Role) -> Result<i64> {
        self.create_user_in(name, password, role, None).await
    }

    /// Creates a user attached to organization `org` (a slug; `None` is
    /// province-wide). An officer must belong to an organization.
    pub async fn create_user_in(
        &self,
        name: &str,
        password: &str,
        role: Role,
        org: Option<&str>,
    ) -> Result<i64> {
        check_name("name", name)?;
        let org_id = self.member_org(role, org).await?;
        check_password(password)?;
        let password = password.to_string();
        let phc = blocking(move || hash_password(&password)).await?;
        let now = now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (name, password_hash, role, created, updated, org_id) \
             VALUES ($1, $2, $3, $4, $4, $5) RETURNING id",
        )
        .bind(name)
        .bind(phc)
        .bind(role.as_str())
        .bind(now)
        .bind(org_id)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict {
                    what: "user",
                    name: name.to_string(),
                }
            } else {
                e.into()
            }
        })?;
        tracing::info!(user = name, role = role.as_str(), "user created");
        Ok(id)
    }

    /// The user `name` when `password` is theirs, else `None`. An unknown
    /// name costs the same hashing time as a wrong password.
    pub async fn verify_password(&self, name: &str, password: &str) -> Result<Option<Principal>> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.password_hash, u.role, u.org_id, u.lang, o.slug AS org \
             FROM users u LEFT JOIN organizations o ON o.id = u.org_id WHERE u.name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        let password = password.to_string();
        let Some(row) = row else {
            blocking(move || {
                // The outcome does not matter, only the time spent.
                let _ = check_hash(&password, dummy_hash());
                Ok(())
            })
            .await?;
            return Ok(None);
        };
        let phc: String = row.try_get("password_hash")?;
        let ok = blocking(move || check_hash(&password, &phc)).await?;
        if !ok {
            return Ok(None);
        }
        Ok(Some(self.principal(PrincipalKind::User, &row).await?))
    }

    /// Records a user's console language (`en` or `vi`; `None` clears it).
    pub async fn set_user_lang(&self, user_id: i64, lang: Option<&str>) -> Result<()> {
        if lang.is_some_and(|l| !matches!(l, "en" | "vi")) {
            return Err(StoreError::invalid("lang", "expected en or vi"));
        }
        sqlx::query("UPDATE users SET lang = $1 WHERE id = $2")
            .bind(lang)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Replaces a user's password and ends all their console sessions.
    pub async fn set_password(&self, user_id: i64, new_password: &str) -> Result<()> {
        check_password(new_password)?;
        let password = new_password.to_string();
        let phc = blocking(move || hash_password(&password)).await?;
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query("UPDATE users SET password_hash = $1, updated = $2 WHERE id = $3")
            .bind(phc)
            .bind(now_ms())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "user",
                id: user_id,
            });
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(user_id, "password changed");
        Ok(())
    }

    /// How many users exist (0 means the first admin must be created).
    pub async fn user_count(&self) -> Result<u64> {
        count(&self.pool, "SELECT COUNT(*) FROM users").await
    }

    /// Every user, by name.
    pub async fn list_users(&self) -> Result<Vec<UserInfo>> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.role, u.created, o.slug AS org FROM users u \
             LEFT JOIN organizations o ON o.id = u.org_id ORDER BY u.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UserInfo {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    role: parse_role("user.role", &r.try_get::<String, _>("role")?)?,
                    org: r.try_get("org")?,
                    created: from_ms("user.created", r.try_get("created")?)?,
                })
            })
            .collect()
    }

    /// Deletes a user and their sessions. Returns whether the user existed.
    pub async fn delete_user(&self, user_id: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let r = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(r.rows_affected() > 0)
    }

    /// Creates an API token and returns its text (`vdt_` and 43 base64url
    /// characters), which only the caller ever sees: the store keeps its
    /// SHA-256. Refuses a name already taken ([`StoreError::Conflict`]).
    pub async fn create_token(&self, name: &str, role: Role) -> Result<String> {
        self.create_token_in(name, role, None).await
    }

    /// Creates an API token attached to organization `org` (a slug; `None`
    /// is province-wide), as [`Store::create_token`] does.
    pub async fn create_token_in(
        &self,
        name: &str,
        role: Role,
        org: Option<&str>,
    ) -> Result<String> {
        check_name("name", name)?;
        let org_id = self.member_org(role, org).await?;
        let token = format!("{TOKEN_PREFIX}{}", random_secret());
        sqlx::query(
            "INSERT INTO api_tokens (name, token_hash, role, created, org_id) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(name)
        .bind(sha256_hex(&token))
        .bind(role.as_str())
        .bind(now_ms())
        .bind(org_id)
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict {
                    what: "token",
                    name: name.to_string(),
                }
            } else {
                e.into()
            }
        })?;
        tracing::info!(token = name, role = role.as_str(), "API token created");
        Ok(token)
    }

    /// The token's principal when `token` is a live API token, else `None`.
    pub async fn verify_token(&self, token: &str) -> Result<Option<Principal>> {
        if token.len() != TOKEN_PREFIX.len() + SECRET_CHARS || !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT t.id, t.name, t.role, t.org_id, NULL AS lang, o.slug AS org \
             FROM api_tokens t LEFT JOIN organizations o ON o.id = t.org_id \
             WHERE t.token_hash = $1",
        )
        .bind(sha256_hex(token))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(self.principal(PrincipalKind::Token, &row).await?))
    }

    /// Every API token, by name, without secrets.
    pub async fn list_tokens(&self) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(
            "SELECT t.id, t.name, t.role, t.created, o.slug AS org FROM api_tokens t \
             LEFT JOIN organizations o ON o.id = t.org_id ORDER BY t.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    role: parse_role("token.role", &r.try_get::<String, _>("role")?)?,
                    org: r.try_get("org")?,
                    created: from_ms("token.created", r.try_get("created")?)?,
                })
            })
            .collect()
    }

    /// Revokes the token named `name`. Returns whether it existed.
    pub async fn revoke_token(&self, name: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM api_tokens WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await?;
        let revoked = r.rows_affected() > 0;
        if revoked {
            tracing::info!(token = name, "API token revoked");
        }
        Ok(revoked)
    }

    /// Starts a console session for a user; it lasts the store's session
    /// TTL ([`Store::with_session_ttl`]). Only the SHA-256 of the id is
    /// stored. [`StoreError::NotFound`] when the user does not exist.
    pub async fn create_session(&self, user_id: i64) -> Result<NewSession> {
        let id = random_secret();
        let csrf = random_secret();
        let now = now_ms();
        let ttl = i64::try_from(self.session_ttl.as_millis()).unwrap_or(i64::MAX);
        let expires = now.saturating_add(ttl);
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf, created, expires) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(sha256_hex(&id))
        .bind(user_id)
        .bind(csrf.as_str())
        .bind(now)
        .bind(expires)
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                StoreError::NotFound {
                    what: "user",
                    id: user_id,
                }
            } else {
                e.into()
            }
        })?;
        Ok(NewSession {
            id,
            csrf,
            expires: from_ms("session.expires", expires)
                .unwrap_or(time::PrimitiveDateTime::MAX.assume_utc()),
        })
    }

    /// The user and the CSRF token of a live session, else `None`. An
    /// expired session is deleted.
    pub async fn get_session(&self, id: &str) -> Result<Option<(Principal, String)>> {
        if id.len() != SECRET_CHARS {
            return Ok(None);
        }
        let id_hash = sha256_hex(id);
        let row = sqlx::query(
            "SELECT s.csrf, s.expires, u.id, u.name, u.role, u.org_id, u.lang, o.slug AS org \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             LEFT JOIN organizations o ON o.id = u.org_id WHERE s.id_hash = $1",
        )
        .bind(id_hash.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let expires: i64 = row.try_get("expires")?;
        if expires <= now_ms() {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(&self.pool)
                .await?;
            return Ok(None);
        }
        let principal = self.principal(PrincipalKind::User, &row).await?;
        Ok(Some((principal, row.try_get("csrf")?)))
    }

    /// A principal from a user or token row that holds `id`, `name`,
    /// `role`, `org_id`, `org` (the slug, joined) and `lang`; only the scope
    /// needs another query, and only for members of an organization.
    async fn principal(&self, kind: PrincipalKind, row: &sqlx::any::AnyRow) -> Result<Principal> {
        let what = match kind {
            PrincipalKind::User => "user.role",
            PrincipalKind::Token => "token.role",
        };
        let role = parse_role(what, &row.try_get::<String, _>("role")?)?;
        let org_id: Option<i64> = row.try_get("org_id")?;
        let org: Option<String> = row.try_get("org")?;
        let scope = match (org_id, &org) {
            (None, _) => Scope::All,
            // Attached to an organization that no longer exists: nothing.
            (Some(_), None) => Scope::Orgs(Vec::new()),
            (Some(oid), Some(_)) => self.scope_of(Some(oid)).await?,
        };
        Ok(Principal {
            kind,
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            role,
            org,
            scope,
            lang: row.try_get("lang")?,
        })
    }

    /// The organization id a new user or token joins; officers need one.
    async fn member_org(&self, role: Role, org: Option<&str>) -> Result<Option<i64>> {
        match org {
            None if role == Role::Officer => Err(StoreError::invalid(
                "organization",
                "an agency officer must belong to an organization",
            )),
            None => Ok(None),
            Some(slug) => Ok(Some(self.org_id(slug).await?.ok_or_else(|| {
                StoreError::invalid("organization", format!("no organization {slug:?}"))
            })?)),
        }
    }

    /// Ends a session (logout). Returns whether it existed.
    pub async fn delete_session(&self, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(sha256_hex(id))
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Deletes every expired session; returns how many. Worth running now
    /// and then: expired sessions are otherwise only removed when presented.
    pub async fn purge_expired_sessions(&self) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires <= $1")
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names() {
        for r in Role::ALL {
            assert_eq!(r.to_string().parse::<Role>().unwrap(), r);
        }
        assert_eq!("ADMIN".parse::<Role>().unwrap(), Role::Admin);
        let e = "root".parse::<Role>().unwrap_err();
        assert!(matches!(e, StoreError::UnknownRole { ref name } if name == "root"));
        assert!(e.to_string().contains("admin, analyst, officer or auditor"));
        assert_eq!(serde_json::to_value(Role::Officer).unwrap(), "officer");
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("name", "alice").is_ok());
        assert!(check_name("name", "Focal Officer (MoH)").is_ok());
        for bad in ["", " alice", "alice\n", "a\u{7}b", &"x".repeat(65)] {
            assert!(check_name("name", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_are_checked_in_characters() {
        assert!(check_password("short").is_err());
        assert!(check_password("elevenchars").is_err());
        assert!(check_password("twelve chars").is_ok());
        // Twelve characters, more bytes.
        assert!(check_password("éééééééééééé").is_ok());
        assert!(check_password(&"x".repeat(MAX_PASSWORD_CHARS + 1)).is_err());
    }

    #[test]
    fn argon2_roundtrip() {
        let phc = hash_password("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(!phc.contains("correct horse"));
        assert!(check_hash("correct horse battery", &phc).unwrap());
        assert!(!check_hash("correct horse batterx", &phc).unwrap());
        assert!(matches!(
            check_hash("x", "not a phc string"),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(!check_hash("whatever password", dummy_hash()).unwrap());
    }

    #[test]
    fn secrets_have_the_documented_shape() {
        let s = random_secret();
        assert_eq!(s.len(), SECRET_CHARS);
        assert_ne!(s, random_secret());
        assert_eq!(sha256_hex("abc").len(), 64);
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn csrf_comparison() {
        let t = random_secret();
        assert!(csrf_matches(&t, &t.clone()));
        assert!(!csrf_matches(&t, &t[1..]));
        assert!(!csrf_matches(&t, ""));
        assert!(!csrf_matches("", ""));
    }

    #[test]
    fn new_session_debug_is_redacted() {
        let s = NewSession {
            id: "secret-id".into(),
            csrf: "secret-csrf".into(),
            expires: OffsetDateTime::UNIX_EPOCH,
        };
        let d = format!("{s:?}");
        assert!(!d.contains("secret"));
    }
}
