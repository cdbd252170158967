-- The highest re-notification (`Page::renotify`) received of a step's
-- triggered page: a re-notification the device already handled (the same
-- one by stream and by push, or a push delivered twice) rings nothing,
-- while a later one may ring again (docs/core-alerts.md).
ALTER TABLE pages ADD COLUMN renotify INTEGER NOT NULL DEFAULT 0;
