-- pgbench script: one timer command as the server now writes it (issue 22): lock the owner's
-- timer row, UPDATE it, write the event to the outbox instead of calling pg_notify, commit.
-- Compare with command.sql (the same work with pg_notify). :minid/:maxid as there.
\set uid random(:minid, :maxid)
BEGIN;
SELECT id, status, version, pause_history FROM timers WHERE owner_id = :uid FOR UPDATE;
UPDATE timers
   SET status = CASE status WHEN 'RUNNING' THEN 'PAUSED' ELSE 'RUNNING' END,
       paused_at = CASE status WHEN 'RUNNING' THEN now() ELSE NULL END,
       version = version + 1,
       updated_at = now()
 WHERE owner_id = :uid;
INSERT INTO event_outbox (user_id, payload)
VALUES (:uid, '{"k":"timer","owner":' || :uid || ',"action":"pause"}');
END;
