-- 0004: what a device learns from the relay's sync: the alerts of its teams
-- as the relay last described them. The device's own state (identity,
-- cursor, roster view, capabilities) lives in `settings` as JSON values.

CREATE TABLE synced_alerts (
    id          TEXT PRIMARY KEY,
    status      TEXT NOT NULL CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
    created_at  TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    body        TEXT NOT NULL -- JSON wire::AlertView
) STRICT, WITHOUT ROWID;

CREATE INDEX synced_alerts_created ON synced_alerts (created_at);
