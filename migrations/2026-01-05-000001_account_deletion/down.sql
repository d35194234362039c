DROP TABLE deleted_accounts;

-- The previous release knows users by `sub` alone: of several users with one `sub`, only the
-- oldest is kept (the others' rows cascade away).
DELETE FROM users u
WHERE EXISTS (SELECT 1 FROM users o WHERE o.subject = u.subject AND o.id < u.id);

ALTER TABLE users
    DROP CONSTRAINT users_issuer_subject_key,
    ADD CONSTRAINT users_subject_key UNIQUE (subject),
    DROP COLUMN issuer;
