-- Replies of successful WebSocket commands, kept (about 24 h) for safe retries by request_id.
CREATE TABLE processed_commands (
    user_id      BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    request_id   TEXT        NOT NULL CHECK (char_length(request_id) BETWEEN 1 AND 64),
    command_type TEXT        NOT NULL,
    reply        TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, request_id)
);
-- The periodic purge of old replies.
CREATE INDEX processed_commands_created_idx ON processed_commands (created_at);
