-- Maintenance windows (docs/relay-api.md, "Maintenance windows"): while one
-- covers a service, its triggered alerts are recorded but page nobody.
-- `end_ms` is the planned end, moved to the moment it was ended early
-- (`ended_early` = 1). Write plans read the windows whose end is ahead.
CREATE TABLE maintenance (
    id          TEXT PRIMARY KEY,
    service     TEXT NOT NULL,
    start_ms    INTEGER NOT NULL,
    end_ms      INTEGER NOT NULL,
    reason      TEXT,
    created_by  TEXT NOT NULL,
    ended_early INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX maintenance_end ON maintenance (end_ms);
