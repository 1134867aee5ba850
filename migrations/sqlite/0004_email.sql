-- Email summaries, SQLite flavour. Kept column for column in step with
-- migrations/postgres/0004_email.sql. Ids never come back after a delete (AUTOINCREMENT):
-- outbox dedup keys and unsubscribe links name subscriptions by id.

-- A user's digest (daily or weekly, at an hour UTC) or alert (immediately, for new critical
-- findings) of a whole team or of a set of clusters (subscription_clusters).
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The team whose clusters are covered, all of them, as they come and go; NULL: the
    -- clusters listed in subscription_clusters.
    team_id BIGINT REFERENCES teams (id) ON DELETE CASCADE,
    frequency TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly', 'immediate')),
    -- The hour (UTC) a digest goes out.
    hour BIGINT NOT NULL DEFAULT 8 CHECK (hour BETWEEN 0 AND 23),
    -- The day a weekly digest goes out: 0 Monday … 6 Sunday.
    weekday BIGINT NOT NULL DEFAULT 0 CHECK (weekday BETWEEN 0 AND 6),
    -- The last digest period queued (daily:2026-01-31, weekly:2026-01-26).
    last_period TEXT,
    -- Immediate alerts: scans up to this id have been looked at.
    last_scan_id BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX subscriptions_user ON subscriptions (user_id);

CREATE TABLE subscription_clusters (
    subscription_id BIGINT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    cluster_id BIGINT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    PRIMARY KEY (subscription_id, cluster_id)
);

-- Every email, rendered, from queued to sent (or failed after its attempts). Senders claim
-- rows with a lease, so of several replicas only one sends a given email, and an email
-- whose sender died is sent by another once the lease runs out.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL once the subscription is gone: the email stays for the record.
    subscription_id BIGINT REFERENCES subscriptions (id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('digest', 'immediate', 'manual')),
    -- What makes the email once-only: digest:<subscription>:<period>,
    -- immediate:<subscription>:<scan>; a manual send is unique by itself.
    dedup_key TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    html_body TEXT NOT NULL,
    text_body TEXT NOT NULL,
    -- The unsubscribe link, also sent as the List-Unsubscribe header.
    unsubscribe_url TEXT,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    -- The lease: who is sending the email, and until when the claim holds.
    claimed_by TEXT,
    claimed_until BIGINT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
