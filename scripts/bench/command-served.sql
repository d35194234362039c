-- pgbench script: the statements of one timer command as the server runs them (issue 22's
-- ceiling): lock the owner's timer, read it with its alarm flags, then one statement that
-- updates it, moves its alarm and writes its event (snapshot, `src`, the owner's nickname) to the
-- outbox; commit. A server command adds its own work around this SQL (WebSocket, JSON, the
-- state machine, the reply and the fan-out), so its commands/s over this script's tps is what the
-- server leaves of the database's capacity. :minid/:maxid as in command.sql.
\set uid random(:minid, :maxid)
BEGIN;
SELECT t.id FROM timers t WHERE t.owner_id = :uid FOR UPDATE;
SELECT t.*, a.time_up_fired_for, a.forgotten_fired_for
  FROM timers t LEFT JOIN timer_alarms a ON a.timer_id = t.id WHERE t.owner_id = :uid;
WITH stored AS (
    UPDATE timers
       SET status = CASE status WHEN 'RUNNING' THEN 'PAUSED' ELSE 'RUNNING' END,
           paused_at = CASE status WHEN 'RUNNING' THEN now() ELSE NULL END,
           pause_history = pause_history || jsonb_build_array(jsonb_build_object(
               'action', CASE status WHEN 'RUNNING' THEN 'pause' ELSE 'resume' END,
               'at', now())),
           version = version + 1,
           updated_at = now()
     WHERE owner_id = :uid RETURNING *),
alarm AS (
    INSERT INTO timer_alarms (timer_id, owner_id, due_at)
    SELECT id, owner_id, now() + interval '25 minutes' FROM stored
    ON CONFLICT (timer_id) DO UPDATE SET due_at = EXCLUDED.due_at)
INSERT INTO event_outbox (user_id, payload)
SELECT s.owner_id, jsonb_build_object(
           'k', 'timer', 'action', 'pause', 'timer_id', s.id, 'owner', s.owner_id,
           'version', s.version, 'snapshot', to_jsonb(s),
           'src', current_setting('application_name'),
           'name', (SELECT u.nickname FROM users u WHERE u.id = s.owner_id))::text
  FROM stored s;
END;
