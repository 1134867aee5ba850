-- Notifications beyond email (a team's webhooks) and routing by namespace. Kept statement
-- for statement in step with the other backend's 0018_webhooks.sql.

-- A team's webhook: where (the URL, sealed with the server's key like cluster credentials:
-- a Slack or Teams URL is itself the secret), how (generic JSON signed with HMAC-SHA256, a
-- Slack message or a Teams card), for which events (a digest, new critical findings, a
-- failed scan) and, optionally, for which namespaces.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('generic', 'slack', 'teams')),
    -- The sealed URL; never returned by the API.
    url BLOB NOT NULL,
    -- What the API shows of the URL: its scheme and host.
    url_host TEXT NOT NULL,
    -- The sealed signing secret of a generic webhook; never returned by the API.
    secret BLOB,
    -- Comma-separated: digest, critical, scan_failed.
    events TEXT NOT NULL,
    frequency TEXT NOT NULL DEFAULT 'daily' CHECK (frequency IN ('daily', 'weekly')),
    hour BIGINT NOT NULL DEFAULT 8 CHECK (hour BETWEEN 0 AND 23),
    weekday BIGINT NOT NULL DEFAULT 0 CHECK (weekday BETWEEN 0 AND 6),
    -- Routing: a JSON list of namespace names, or a label selector (owner=payments); NULL
    -- for both: every namespace.
    namespaces TEXT,
    namespace_selector TEXT,
    -- Progress, as a subscription's: the last digest period queued, the last scan looked at.
    last_period TEXT,
    last_scan_id BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (team_id, name)
);

-- Routing of email subscriptions, as the webhooks'.
ALTER TABLE subscriptions ADD COLUMN namespaces TEXT;
ALTER TABLE subscriptions ADD COLUMN namespace_selector TEXT;

-- Each cluster's namespaces with their labels (a JSON object), as the latest scan that
-- listed them saw them: what a namespace label selector is matched against.
CREATE TABLE namespace_labels (
    cluster_id BIGINT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    namespace TEXT NOT NULL,
    labels TEXT NOT NULL,
    scan_id BIGINT NOT NULL,
    PRIMARY KEY (cluster_id, namespace)
);

-- The outbox carries webhook deliveries beside emails (webhook_id set: the payload is in
-- text_body, the URL's host in recipient), and a failed scan is an event of its own. SQLite
-- cannot change a CHECK constraint in place: the table is rebuilt, its ids kept.
CREATE TABLE outbox_next (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id BIGINT REFERENCES subscriptions (id) ON DELETE SET NULL,
    -- A webhook's delivery goes with the webhook.
    webhook_id BIGINT REFERENCES webhooks (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('digest', 'immediate', 'manual', 'scan_failed')),
    dedup_key TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    html_body TEXT NOT NULL,
    text_body TEXT NOT NULL,
    unsubscribe_url TEXT,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    claimed_by TEXT,
    claimed_until BIGINT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
INSERT INTO outbox_next (id, subscription_id, kind, dedup_key, recipient, subject, html_body, text_body,
    unsubscribe_url, status, attempts, next_attempt_at, last_error, claimed_by, claimed_until, created_at, sent_at)
SELECT id, subscription_id, kind, dedup_key, recipient, subject, html_body, text_body, unsubscribe_url, status,
    attempts, next_attempt_at, last_error, claimed_by, claimed_until, created_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_next RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_webhook ON outbox (webhook_id);
