-- Rule management: rules switched off by an analyst, with who and when.
-- A rule without a row is enabled (enabled: 1 or 0). Keep in step with
-- ../sqlite/0005_rules.sql.
CREATE TABLE rule_settings (
    rule_id    TEXT   PRIMARY KEY,
    enabled    BIGINT NOT NULL,
    changed_by TEXT   NOT NULL,
    changed_at BIGINT NOT NULL
);
