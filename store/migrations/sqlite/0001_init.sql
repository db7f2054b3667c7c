-- Vedette relational state (SQLite). Times are unix milliseconds (UTC);
-- JSON documents are TEXT. Keep in step with ../postgres/0001_init.sql.

CREATE TABLE alerts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id       TEXT    NOT NULL,
    rule_title    TEXT    NOT NULL,
    severity      TEXT    NOT NULL,
    severity_rank INTEGER NOT NULL,
    tags          TEXT    NOT NULL,
    event_seq     INTEGER NOT NULL,
    event_time    INTEGER NOT NULL,
    created       INTEGER NOT NULL,
    host          TEXT,
    event         TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'new'
);
-- A replay of the spool after a crash must not raise the same alert twice.
CREATE UNIQUE INDEX alerts_rule_event ON alerts (rule_id, event_seq);
CREATE INDEX alerts_created ON alerts (created, id);
CREATE INDEX alerts_host ON alerts (host);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    created       INTEGER NOT NULL,
    updated       INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    token_hash TEXT    NOT NULL UNIQUE,
    role       TEXT    NOT NULL,
    created    INTEGER NOT NULL
);

CREATE TABLE sessions (
    id_hash TEXT    PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf    TEXT    NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires);
