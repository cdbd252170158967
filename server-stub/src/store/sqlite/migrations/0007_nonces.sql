-- Request nonces outlive a restart: a signed device request captured on the
-- wire cannot be replayed after the relay restarts within its timestamp's
-- 5-minute window. A row is kept until `expires_s` (the request's
-- timestamp plus the window), then pruned.
CREATE TABLE nonces (
    device    TEXT NOT NULL,
    nonce     TEXT NOT NULL,
    expires_s INTEGER NOT NULL,
    PRIMARY KEY (device, nonce)
) WITHOUT ROWID;
CREATE INDEX nonces_expiry ON nonces (expires_s);
