-- Notifications about a timer: TIME_UP and TIMER_FORGOTTEN (issue 18), related to the timer by
-- its UUID, which does not fit the BIGINT `related_id` of meetups.
--
-- No foreign key to `timers`: a notification is the receiver's record of what happened and
-- outlives the timer (deleting a timer must neither delete nor block its notifications); the
-- front end shows its own "not found" when `/timers/{id}` no longer exists.
ALTER TABLE notifications
    ADD COLUMN related_timer_id UUID,
    -- A notification is about one thing at most.
    ADD CONSTRAINT notifications_related_one_check
        CHECK (related_id IS NULL OR related_timer_id IS NULL),
    DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check
        CHECK (kind IN ('FOLLOW', 'ENTER', 'EXIT', 'CREATE', 'CANCLE', 'TEST',
                        'TIME_UP', 'TIMER_FORGOTTEN')),
    DROP CONSTRAINT notifications_related_type_check,
    ADD CONSTRAINT notifications_related_type_check
        CHECK (related_type IN ('FOLLOW', 'POST', 'TEST', 'TIMER'));
