-- Status-update pushes: when an alert is acknowledged, resolved or escalated
-- past someone, every device that was pushed a page for it gets one more push
-- that stops its ring. They share the push outbox with pages, told apart by
-- `revision`: 0 for a page (one per alert, step and device, as before), the
-- alert's timeline revision for a status update (one per alert, revision and
-- device). The primary key cannot change in place, so the table is rebuilt.
CREATE TABLE push_outbox_v3 (
    alert_id  TEXT NOT NULL,
    step_seq  INTEGER NOT NULL,
    revision  INTEGER NOT NULL DEFAULT 0,
    device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    page      TEXT NOT NULL,
    attempts  INTEGER NOT NULL DEFAULT 0,
    next_ms   INTEGER NOT NULL,
    PRIMARY KEY (alert_id, step_seq, revision, device_id)
);
INSERT INTO push_outbox_v3 (alert_id, step_seq, revision, device_id, page, attempts, next_ms)
    SELECT alert_id, step_seq, 0, device_id, page, attempts, next_ms FROM push_outbox;
DROP TABLE push_outbox;
ALTER TABLE push_outbox_v3 RENAME TO push_outbox;
CREATE INDEX push_outbox_next ON push_outbox (next_ms);

-- Which devices were pushed a page of which open alert (written with the
-- page's outbox row): the recipients of the alert's status updates. Rows of
-- a resolved alert are deleted with its last status update.
CREATE TABLE push_paged (
    alert_id  TEXT NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    PRIMARY KEY (alert_id, device_id)
) WITHOUT ROWID;
