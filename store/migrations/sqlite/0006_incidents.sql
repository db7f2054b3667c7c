-- Incidents (cases) and tickets (SQLite). Keep in step with
-- ../postgres/0006_incidents.sql. Times are unix milliseconds; `org` is an
-- organization slug (NULL: province-wide); flags are 0 or 1.

CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    resolution  TEXT,
    owner       TEXT,
    org         TEXT,
    created_by  TEXT    NOT NULL,
    created     INTEGER NOT NULL,
    updated     INTEGER NOT NULL
);
CREATE INDEX incidents_org ON incidents (org, created);
CREATE INDEX incidents_status ON incidents (status, created);

CREATE TABLE incident_alerts (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    alert_id    INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    added_by    TEXT    NOT NULL,
    added       INTEGER NOT NULL,
    PRIMARY KEY (incident_id, alert_id)
);
CREATE INDEX incident_alerts_alert ON incident_alerts (alert_id);

CREATE TABLE incident_observables (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    added_by    TEXT    NOT NULL,
    added       INTEGER NOT NULL,
    UNIQUE (incident_id, kind, value)
);

CREATE TABLE incident_comments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    author      TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created     INTEGER NOT NULL
);
CREATE INDEX incident_comments_incident ON incident_comments (incident_id, id);

CREATE TABLE incident_tasks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    title       TEXT    NOT NULL,
    done        INTEGER NOT NULL,
    created_by  TEXT    NOT NULL,
    created     INTEGER NOT NULL,
    updated     INTEGER NOT NULL
);
CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id, id);

-- The timeline: every change to an incident, in order.
CREATE TABLE incident_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    detail      TEXT    NOT NULL
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, id);

-- Work handed to an agency (`org`, required).
CREATE TABLE tickets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL,
    org         TEXT    NOT NULL,
    assignee    TEXT,
    due         INTEGER,
    sla_hours   INTEGER,
    status      TEXT    NOT NULL,
    incident_id INTEGER REFERENCES incidents (id),
    created_by  TEXT    NOT NULL,
    created     INTEGER NOT NULL,
    updated     INTEGER NOT NULL
);
CREATE INDEX tickets_org ON tickets (org, created);
CREATE INDEX tickets_status ON tickets (status, due);

CREATE TABLE ticket_comments (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    author    TEXT    NOT NULL,
    body      TEXT    NOT NULL,
    created   INTEGER NOT NULL
);
CREATE INDEX ticket_comments_ticket ON ticket_comments (ticket_id, id);
