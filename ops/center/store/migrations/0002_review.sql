-- Review: users and their areas, sessions, registered device keys, the
-- claim on a violation under review, and the append-only audit of
-- decisions with the notices still to publish.

-- The area a violation belongs to decides which officers may see it.
ALTER TABLE violations ADD COLUMN area text NOT NULL DEFAULT '';
UPDATE violations SET area = coalesce(event->'camera'->'location'->>'area', '');
CREATE INDEX violations_area ON violations (area, status, offence_time);
-- One officer at a time: claimed_by holds the item until claim_until.
ALTER TABLE violations ADD COLUMN claimed_by bigint;
ALTER TABLE violations ADD COLUMN claim_until timestamptz;

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    role          text NOT NULL CHECK (role IN ('officer', 'supervisor', 'admin')),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_areas (
    user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    area    text NOT NULL,
    PRIMARY KEY (user_id, area)
);

-- Only a hash of the session token is kept: a leaked table opens no session.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    csrf       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

-- Public keys of edge devices, registered by an admin: a package is valid
-- only when signed by a key registered here.
CREATE TABLE device_keys (
    key_id        text PRIMARY KEY,
    device        text NOT NULL,
    public_key    bytea NOT NULL,
    registered_by text NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now()
);

-- Every decision, never changed nor removed (the trigger refuses it): who,
-- when and why.
CREATE TABLE decisions (
    id           bigserial PRIMARY KEY,
    event_id     text NOT NULL REFERENCES violations,
    decision     text NOT NULL CHECK (decision IN ('confirmed', 'rejected', 'reopened')),
    reason       text NOT NULL DEFAULT '',
    note         text NOT NULL DEFAULT '',
    plate        text NOT NULL DEFAULT '',
    plate_colour text NOT NULL DEFAULT '',
    user_id      bigint NOT NULL REFERENCES users,
    officer      text NOT NULL,
    role         text NOT NULL,
    decided_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX decisions_event ON decisions (event_id, id);

CREATE FUNCTION decisions_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'decisions is append-only';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON decisions
    FOR EACH STATEMENT EXECUTE FUNCTION decisions_append_only();

-- Notices written in the decision's transaction and published to Kafka
-- after it: a decision is never stored without its notice, nor published
-- without being stored.
CREATE TABLE reviewed_outbox (
    decision_id  bigint PRIMARY KEY REFERENCES decisions,
    event_id     text NOT NULL,
    notice       jsonb NOT NULL,
    published_at timestamptz
);
CREATE INDEX reviewed_outbox_pending ON reviewed_outbox (decision_id) WHERE published_at IS NULL;
