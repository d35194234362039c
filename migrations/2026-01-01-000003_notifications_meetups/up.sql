-- Notifications, meetups and their participants.

CREATE TABLE notifications (
    -- Increases per receiver in commit order: writers take pg_advisory_xact_lock(receiver_id)
    -- before drawing an id (see the adapter's notification module).
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    receiver_id  BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Null for system notifications, and once the actor's account is deleted.
    actor_id     BIGINT      REFERENCES users (id) ON DELETE SET NULL,
    kind         TEXT        NOT NULL
                 CHECK (kind IN ('FOLLOW', 'ENTER', 'EXIT', 'CREATE', 'CANCLE', 'TEST')),
    message      TEXT        NOT NULL,
    related_id   BIGINT,
    related_type TEXT        NOT NULL CHECK (related_type IN ('FOLLOW', 'POST', 'TEST')),
    redirect_url TEXT        NOT NULL,
    is_read      BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMPTZ NOT NULL
);
-- Replay after Last-Event-ID (receiver, id > n).
CREATE INDEX notifications_receiver_id_idx ON notifications (receiver_id, id DESC);
-- The receiver's list, newest first.
CREATE INDEX notifications_receiver_created_idx
    ON notifications (receiver_id, created_at DESC, id DESC);
-- Unread list and unread count stay small however many read ones accumulate.
CREATE INDEX notifications_receiver_unread_idx
    ON notifications (receiver_id, created_at DESC, id DESC) WHERE NOT is_read;
-- ON DELETE SET NULL of an actor looks rows up by actor.
CREATE INDEX notifications_actor_idx ON notifications (actor_id) WHERE actor_id IS NOT NULL;

CREATE TABLE meetups (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_id     BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 100),
    description TEXT        NOT NULL CHECK (char_length(description) <= 2000),
    starts_at   TIMESTAMPTZ NOT NULL,
    -- Counts the host; null means unlimited.
    capacity    INTEGER     CHECK (capacity BETWEEN 2 AND 100),
    status      TEXT        NOT NULL CHECK (status IN ('OPEN', 'CANCELLED')),
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
-- Open meetups, newest first.
CREATE INDEX meetups_open_created_idx ON meetups (created_at DESC, id DESC) WHERE status = 'OPEN';
CREATE INDEX meetups_host_idx ON meetups (host_id);

-- Participants, the host included (joined first). `join_order` keeps the order of joining.
CREATE TABLE meetup_participants (
    meetup_id  BIGINT      NOT NULL REFERENCES meetups (id) ON DELETE CASCADE,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    join_order BIGINT GENERATED ALWAYS AS IDENTITY,
    joined_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (meetup_id, user_id)
);
CREATE INDEX meetup_participants_order_idx ON meetup_participants (meetup_id, join_order);
CREATE INDEX meetup_participants_user_idx ON meetup_participants (user_id);
