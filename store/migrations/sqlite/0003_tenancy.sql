-- Tenancy and audit (SQLite). Keep in step with ../postgres/0003_tenancy.sql.

-- The hierarchy of organizations: the province's agencies and their units.
-- `slug` is what the parsers' per-source rules put in `organization.id`.
CREATE TABLE organizations (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    slug      TEXT    NOT NULL UNIQUE,
    name      TEXT    NOT NULL,
    parent_id INTEGER REFERENCES organizations (id),
    created   INTEGER NOT NULL
);
CREATE INDEX organizations_parent ON organizations (parent_id);

-- A user or token without an organization works province-wide.
ALTER TABLE users ADD COLUMN org_id INTEGER REFERENCES organizations (id);
ALTER TABLE api_tokens ADD COLUMN org_id INTEGER REFERENCES organizations (id);

-- The organization of an alert: its event's organization.id, lowercased.
ALTER TABLE alerts ADD COLUMN org TEXT;
CREATE INDEX alerts_org ON alerts (org, created);

-- Who changed what, when, from where. Append-only: the triggers refuse
-- updates and deletes.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    actor_kind TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    target     TEXT,
    detail     TEXT    NOT NULL,
    source     TEXT
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
