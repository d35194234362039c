-- A user is (issuer, subject): the key source that vouched for a token, and its `sub`. Before
-- this migration users were known by `sub` alone; their `issuer` is '' until the configured
-- primary source signs them in (see the adapter's user module), so no token of another source
-- can claim them.
ALTER TABLE users
    ADD COLUMN issuer TEXT NOT NULL DEFAULT '' CHECK (char_length(issuer) <= 2048),
    DROP CONSTRAINT users_subject_key,
    ADD CONSTRAINT users_issuer_subject_key UNIQUE (issuer, subject);

-- Deleted accounts: a token issued before `deleted_at` must not create a fresh account with the
-- same identity (`401 ACCOUNT_DELETED`). A token issued after it may.
CREATE TABLE deleted_accounts (
    issuer     TEXT        NOT NULL CHECK (char_length(issuer) <= 2048),
    subject    TEXT        NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 255),
    deleted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (issuer, subject)
);
