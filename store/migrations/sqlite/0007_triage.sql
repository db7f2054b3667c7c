-- Alert triage: suppressions of similar alerts for a period. Keep in step
-- with ../postgres/0007_triage.sql.

-- Alerts of `rule_id` (on `host` when set; in `org` when set) raised before
-- `expires` get the status `suppressed` instead of `new`.
CREATE TABLE suppressions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id    TEXT    NOT NULL,
    host       TEXT,
    org        TEXT,
    reason     TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    created    INTEGER NOT NULL,
    expires    INTEGER NOT NULL,
    lifted_by  TEXT,
    lifted     INTEGER
);
CREATE INDEX suppressions_rule ON suppressions (rule_id, expires);
CREATE INDEX alerts_status ON alerts (status, created);
CREATE INDEX alerts_rule ON alerts (rule_id, created);
