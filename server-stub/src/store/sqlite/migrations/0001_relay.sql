-- Alerts: the core Alert (with its timeline) as JSON in `body`, plus the
-- columns queries need. `changed` is the sync cursor of its latest change.
CREATE TABLE alerts (
    id         TEXT PRIMARY KEY,
    service    TEXT NOT NULL,
    dedup_key  TEXT NOT NULL,
    status     TEXT NOT NULL,
    open       INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    changed    INTEGER NOT NULL,
    body       TEXT NOT NULL,
    details    TEXT NOT NULL
);
-- One open alert per (service, dedup key): dedup is enforced by the schema.
CREATE UNIQUE INDEX alerts_open_key ON alerts (service, dedup_key) WHERE open = 1;
CREATE INDEX alerts_changed ON alerts (changed);
CREATE INDEX alerts_created ON alerts (created_ms);

-- Escalation deadlines are rows: a restart finds every pending one here.
CREATE TABLE deadlines (
    alert_id TEXT PRIMARY KEY REFERENCES alerts (id),
    due_ms   INTEGER NOT NULL
);
CREATE INDEX deadlines_due ON deadlines (due_ms);

CREATE TABLE invites (
    code       TEXT PRIMARY KEY,
    person     TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    used_ms    INTEGER
);

CREATE TABLE devices (
    id            TEXT PRIMARY KEY,
    person        TEXT NOT NULL,
    name          TEXT NOT NULL,
    signing_key   BLOB NOT NULL,
    sealing_key   BLOB NOT NULL,
    push_platform TEXT,
    push_token    TEXT,
    enrolled_ms   INTEGER NOT NULL
);
CREATE INDEX devices_person ON devices (person);

-- /healthz writes here: a successful commit proves the store is writable.
CREATE TABLE health (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    at_ms INTEGER NOT NULL
);
