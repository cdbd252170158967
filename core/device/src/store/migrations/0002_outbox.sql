-- 0002: the outbox of user actions waiting to reach the relay.

CREATE TABLE outbox (
    -- AUTOINCREMENT: ids never get reused, so id order is enqueue order even
    -- after old rows are pruned.
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    -- No foreign key: a phone may act on an alert it only knows from a push.
    alert_id        TEXT NOT NULL,
    person          TEXT NOT NULL,
    action          TEXT NOT NULL, -- JSON Action
    seen_revision   INTEGER,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
    outcome         TEXT, -- JSON ActionOutcome once done
    last_error      TEXT
) STRICT;

-- The sender's scan: the oldest pending action of each alert.
CREATE INDEX outbox_pending ON outbox (alert_id, id) WHERE state = 'pending';
