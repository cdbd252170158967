-- Heartbeats (dead-man switches, docs/roster.md "[[heartbeats]]"): one row
-- per roster heartbeat, so a restart keeps each one's state. `due_ms` is when
-- it is overdue if no beat arrives; `overdue` is 1 from the moment its alert
-- opened until the next beat (so a silence opens one alert, not one per
-- pass). The relay re-arms every row that is not overdue when it starts (no
-- beat can arrive while it is down).
CREATE TABLE heartbeats (
    id           TEXT PRIMARY KEY,
    last_beat_ms INTEGER,
    due_ms       INTEGER NOT NULL,
    overdue      INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX heartbeats_due ON heartbeats (due_ms) WHERE overdue = 0;
