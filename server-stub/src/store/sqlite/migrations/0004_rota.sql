-- Running the rota without restarts: live overrides on top of the roster
-- file's (klaxon override add, Pager.takeShift), the audit log of who
-- changed what, and the secret calendar links (klaxon ical-link).
CREATE TABLE live_overrides (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    schedule   TEXT NOT NULL,
    person     TEXT NOT NULL,
    replacing  TEXT,
    start_ms   INTEGER NOT NULL,
    end_ms     INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX live_overrides_end ON live_overrides (end_ms);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms  INTEGER NOT NULL,
    who    TEXT NOT NULL,
    action TEXT NOT NULL,
    what   TEXT NOT NULL
);

-- Only the SHA-256 of a link's token is kept: a copy of the database does
-- not hand out anyone's calendar.
CREATE TABLE ical_links (
    token_sha256 TEXT PRIMARY KEY,
    person       TEXT NOT NULL,
    created_ms   INTEGER NOT NULL
) WITHOUT ROWID;
