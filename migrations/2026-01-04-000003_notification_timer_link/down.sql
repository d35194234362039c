-- The previous release cannot hold timer notifications (neither their kinds nor their timer
-- link): they are deleted, so that the narrower constraints can come back.
DELETE FROM notifications
WHERE kind IN ('TIME_UP', 'TIMER_FORGOTTEN') OR related_type = 'TIMER'
   OR related_timer_id IS NOT NULL;

ALTER TABLE notifications
    DROP CONSTRAINT notifications_related_type_check,
    ADD CONSTRAINT notifications_related_type_check
        CHECK (related_type IN ('FOLLOW', 'POST', 'TEST')),
    DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check
        CHECK (kind IN ('FOLLOW', 'ENTER', 'EXIT', 'CREATE', 'CANCLE', 'TEST')),
    DROP CONSTRAINT notifications_related_one_check,
    DROP COLUMN related_timer_id;
