-- Violations as received from the edge, one row per event_id: the edge
-- retries, so the same event can arrive more than once.
CREATE TABLE violations (
    event_id     text PRIMARY KEY,
    camera       text NOT NULL,
    type         text NOT NULL,
    offence_time timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    status       text NOT NULL DEFAULT 'pending',
    event        jsonb NOT NULL
);
CREATE INDEX violations_queue ON violations (status, offence_time);

-- Camera status reports, one row per Kafka record (they carry no id).
CREATE TABLE camera_status (
    topic       text NOT NULL,
    part        int NOT NULL,
    kafka_offset bigint NOT NULL,
    camera      text NOT NULL,
    state       text NOT NULL,
    since       timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    report      jsonb NOT NULL,
    PRIMARY KEY (topic, part, kafka_offset)
);
CREATE INDEX camera_status_latest ON camera_status (camera, received_at DESC);
