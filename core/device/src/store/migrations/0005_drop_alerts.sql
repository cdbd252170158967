-- 0005: drop the device-side `alerts` and `timeline` tables of 0001.
-- Nothing on a device ever wrote them: the alerts a device knows come from
-- the relay's sync and from pages, and live in `synced_alerts` (0004); the
-- relay keeps the authoritative alerts and timelines in its own store.
-- Triggers and indexes go with their tables; the triggers are dropped first
-- so no append-only check can object, and `timeline` before the `alerts`
-- its rows reference.

DROP TRIGGER IF EXISTS timeline_no_update;
DROP TRIGGER IF EXISTS timeline_no_delete;
DROP TABLE IF EXISTS timeline;
DROP TABLE IF EXISTS alerts;
