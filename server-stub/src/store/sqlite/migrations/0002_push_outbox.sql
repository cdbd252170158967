-- Pushes waiting to go out, written in the same transaction as the step
-- that fired them: a crash between the commit and the push delays the push
-- until the restart, it does not lose it. One row per (alert, step, device),
-- so a page is pushed to a device at most once per escalation step.
CREATE TABLE push_outbox (
    alert_id  TEXT NOT NULL,
    step_seq  INTEGER NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    page      TEXT NOT NULL,
    attempts  INTEGER NOT NULL DEFAULT 0,
    next_ms   INTEGER NOT NULL,
    PRIMARY KEY (alert_id, step_seq, device_id)
);
CREATE INDEX push_outbox_next ON push_outbox (next_ms);
