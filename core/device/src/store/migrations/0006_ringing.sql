-- The alerts whose ring loop is on, with the plan that rang them: durable,
-- so a shell the OS killed and restarted (Android START_STICKY, boot)
-- resumes the ring instead of leaving a critical page silent. A row is
-- written when a plan starts ringing and removed when the ring stops
-- (acknowledged, resolved, a status update, a sync that settled it).
CREATE TABLE ringing (
    alert_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    plan TEXT NOT NULL
);
