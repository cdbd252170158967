-- Change events (docs/relay-api.md, "POST /v2/change/enqueue"): deploys and
-- other changes a service's tooling reported, shown with the alerts that
-- open in the hour after them. `at_ms` is when the change happened (its
-- `payload.timestamp`, never later than its arrival), `received_ms` when
-- the relay took it. Kept 7 days after `at_ms`: each new change prunes the
-- older rows, and reads skip them.
CREATE TABLE changes (
    id             INTEGER PRIMARY KEY,
    service        TEXT NOT NULL,
    at_ms          INTEGER NOT NULL,
    received_ms    INTEGER NOT NULL,
    summary        TEXT NOT NULL,
    source         TEXT,
    custom_details TEXT,
    links          TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX changes_service_at ON changes (service, at_ms);
CREATE INDEX changes_at ON changes (at_ms);
