-- 0003: pages a device received (dedup of pushes) and the user's settings.

-- One row per (alert, escalation step, state): the same step never rings
-- twice, however often the push arrives; a later state (acknowledged,
-- resolved) of the same step is recorded once too.
CREATE TABLE pages (
    alert_id    TEXT NOT NULL,
    step_seq    INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
    received_at TEXT NOT NULL,
    priority    TEXT NOT NULL CHECK (priority IN ('low', 'high', 'critical')),
    summary     TEXT NOT NULL,
    body        TEXT NOT NULL, -- the page as received (JSON)
    PRIMARY KEY (alert_id, step_seq, status)
) STRICT, WITHOUT ROWID;

CREATE INDEX pages_received ON pages (received_at);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL -- JSON
) STRICT, WITHOUT ROWID;
