-- 0001: alerts and their append-only timelines.
-- Timestamps are RFC 3339 UTC text ('...Z', nanosecond precision when present).

CREATE TABLE alerts (
    id              TEXT PRIMARY KEY,
    service         TEXT NOT NULL,
    dedup_key       TEXT NOT NULL,
    summary         TEXT NOT NULL,
    priority        TEXT NOT NULL CHECK (priority IN ('low', 'high', 'critical')),
    status          TEXT NOT NULL CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
    created_at      TEXT NOT NULL,
    acknowledged_by TEXT,
    snoozed_until   TEXT,
    escalation      TEXT NOT NULL -- JSON EscalationState
) STRICT;

-- Dedup: at most one open alert per (service, dedup_key). The same partial
-- unique index exists in PostgreSQL, so the rule holds across relays.
CREATE UNIQUE INDEX alerts_open_dedup ON alerts (service, dedup_key) WHERE status <> 'resolved';
CREATE INDEX alerts_status ON alerts (status, created_at);

CREATE TABLE timeline (
    alert_id        TEXT NOT NULL REFERENCES alerts (id),
    seq             INTEGER NOT NULL,
    at              TEXT NOT NULL,
    who             TEXT NOT NULL,
    source          TEXT NOT NULL CHECK (source IN ('device', 'relay', 'integration')),
    event           TEXT NOT NULL, -- JSON Event
    idempotency_key TEXT,
    PRIMARY KEY (alert_id, seq)
) STRICT, WITHOUT ROWID;

-- An action's key lands in an alert's timeline at most once.
CREATE UNIQUE INDEX timeline_idempotency ON timeline (alert_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- Append-only, enforced by the database itself.
CREATE TRIGGER timeline_no_update BEFORE UPDATE ON timeline
BEGIN
    SELECT RAISE(ABORT, 'the timeline is append-only');
END;
CREATE TRIGGER timeline_no_delete BEFORE DELETE ON timeline
BEGIN
    SELECT RAISE(ABORT, 'the timeline is append-only');
END;
