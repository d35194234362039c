-- Schedules, todos, tags, timers and their tag links.
--
-- Every link between owned objects is a composite foreign key on (owner_id, id), so a timer can
-- never point at another user's schedule, todo or tag: ownership is a constraint, not a hope.
-- `ON DELETE SET NULL (column)` needs PostgreSQL 15 or later.

CREATE TABLE schedules (
    id          UUID        PRIMARY KEY,
    owner_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT        NOT NULL CHECK (char_length(title) <= 200),
    description TEXT        CHECK (char_length(description) <= 2000),
    start_time  TIMESTAMPTZ NOT NULL,
    end_time    TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    CONSTRAINT schedules_owner_id_id_key UNIQUE (owner_id, id),
    CONSTRAINT schedules_end_not_before_start CHECK (end_time >= start_time)
);
-- The owner's list, newest first; the unique key above serves owner + id lookups.
CREATE INDEX schedules_owner_created_idx ON schedules (owner_id, created_at DESC, id DESC);
-- The `start_date`/`end_date` filter on `start_time`.
CREATE INDEX schedules_owner_start_idx ON schedules (owner_id, start_time);

CREATE TABLE todos (
    id          UUID        PRIMARY KEY,
    owner_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT        NOT NULL CHECK (char_length(title) <= 200),
    description TEXT        CHECK (char_length(description) <= 2000),
    status      TEXT        NOT NULL CHECK (status IN ('TODO', 'IN_PROGRESS', 'DONE')),
    deadline    TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    CONSTRAINT todos_owner_id_id_key UNIQUE (owner_id, id)
);
CREATE INDEX todos_owner_created_idx ON todos (owner_id, created_at DESC, id DESC);

CREATE TABLE tags (
    id         UUID        PRIMARY KEY,
    owner_id   BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
    color      TEXT        NOT NULL CHECK (color ~ '^#[0-9A-F]{6}$'),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT tags_owner_id_id_key UNIQUE (owner_id, id),
    CONSTRAINT tags_owner_id_name_key UNIQUE (owner_id, name)
);
CREATE INDEX tags_owner_created_idx ON tags (owner_id, created_at DESC, id DESC);

CREATE TABLE timers (
    id                 UUID        PRIMARY KEY,
    owner_id           BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    schedule_id        UUID,
    todo_id            UUID,
    title              TEXT        CHECK (char_length(title) <= 200),
    description        TEXT        CHECK (char_length(description) <= 2000),
    allocated_duration INTEGER     NOT NULL CHECK (allocated_duration BETWEEN 1 AND 86400),
    status             TEXT        NOT NULL
                       CHECK (status IN ('RUNNING', 'PAUSED', 'COMPLETED', 'CANCELLED')),
    started_at         TIMESTAMPTZ NOT NULL,
    paused_at          TIMESTAMPTZ,
    ended_at           TIMESTAMPTZ,
    -- Array of {action, at, elapsed?}; the domain validates the sequence on every load.
    pause_history      JSONB       NOT NULL,
    visibility         TEXT        NOT NULL DEFAULT 'friends'
                       CHECK (visibility IN ('private', 'friends', 'public')),
    version            BIGINT      NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    CONSTRAINT timers_owner_id_id_key UNIQUE (owner_id, id),
    CONSTRAINT timers_schedule_fkey FOREIGN KEY (owner_id, schedule_id)
        REFERENCES schedules (owner_id, id) ON DELETE SET NULL (schedule_id),
    CONSTRAINT timers_todo_fkey FOREIGN KEY (owner_id, todo_id)
        REFERENCES todos (owner_id, id) ON DELETE SET NULL (todo_id),
    CONSTRAINT timers_pause_history_is_array
        CHECK (jsonb_typeof(pause_history) = 'array' AND jsonb_array_length(pause_history) >= 1),
    CONSTRAINT timers_ended_at_iff_ended
        CHECK ((ended_at IS NOT NULL) = (status IN ('COMPLETED', 'CANCELLED'))),
    CONSTRAINT timers_paused_at_matches_status
        CHECK ((status <> 'PAUSED' OR paused_at IS NOT NULL)
           AND (status <> 'RUNNING' OR paused_at IS NULL)),
    CONSTRAINT timers_instants_ordered
        CHECK (ended_at >= started_at AND paused_at >= started_at AND updated_at >= created_at)
);
-- The owner's list, newest first (scope mine, and each friend's part of scope shared).
CREATE INDEX timers_owner_created_idx ON timers (owner_id, created_at DESC, id DESC);
-- Owner + status filter, and the active timers (sync on connect, /timers/active).
CREATE INDEX timers_owner_status_created_idx ON timers (owner_id, status, created_at DESC, id DESC);
-- Timers of a schedule or todo: their lists, and the SET NULL when one is deleted.
CREATE INDEX timers_owner_schedule_idx ON timers (owner_id, schedule_id, created_at DESC)
    WHERE schedule_id IS NOT NULL;
CREATE INDEX timers_owner_todo_idx ON timers (owner_id, todo_id, created_at DESC)
    WHERE todo_id IS NOT NULL;
-- The `start_date`/`end_date` filter on `started_at`.
CREATE INDEX timers_owner_started_idx ON timers (owner_id, started_at);

-- Tag links. `owner_id` is repeated so both foreign keys include it: a link between objects of
-- two different users cannot exist. `position` keeps the order the client gave.
CREATE TABLE timer_tags (
    timer_id UUID    NOT NULL,
    tag_id   UUID    NOT NULL,
    owner_id BIGINT  NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (timer_id, tag_id),
    CONSTRAINT timer_tags_timer_fkey FOREIGN KEY (owner_id, timer_id)
        REFERENCES timers (owner_id, id) ON DELETE CASCADE,
    CONSTRAINT timer_tags_tag_fkey FOREIGN KEY (owner_id, tag_id)
        REFERENCES tags (owner_id, id) ON DELETE CASCADE
);
-- Deleting a tag finds its links by tag.
CREATE INDEX timer_tags_tag_idx ON timer_tags (tag_id);
-- The foreign key to timers is on (owner_id, timer_id); cascades look it up by that.
CREATE INDEX timer_tags_owner_timer_idx ON timer_tags (owner_id, timer_id);

CREATE TABLE schedule_tags (
    schedule_id UUID    NOT NULL,
    tag_id      UUID    NOT NULL,
    owner_id    BIGINT  NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (schedule_id, tag_id),
    CONSTRAINT schedule_tags_schedule_fkey FOREIGN KEY (owner_id, schedule_id)
        REFERENCES schedules (owner_id, id) ON DELETE CASCADE,
    CONSTRAINT schedule_tags_tag_fkey FOREIGN KEY (owner_id, tag_id)
        REFERENCES tags (owner_id, id) ON DELETE CASCADE
);
CREATE INDEX schedule_tags_tag_idx ON schedule_tags (tag_id);
CREATE INDEX schedule_tags_owner_schedule_idx ON schedule_tags (owner_id, schedule_id);

CREATE TABLE todo_tags (
    todo_id  UUID    NOT NULL,
    tag_id   UUID    NOT NULL,
    owner_id BIGINT  NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (todo_id, tag_id),
    CONSTRAINT todo_tags_todo_fkey FOREIGN KEY (owner_id, todo_id)
        REFERENCES todos (owner_id, id) ON DELETE CASCADE,
    CONSTRAINT todo_tags_tag_fkey FOREIGN KEY (owner_id, tag_id)
        REFERENCES tags (owner_id, id) ON DELETE CASCADE
);
CREATE INDEX todo_tags_tag_idx ON todo_tags (tag_id);
CREATE INDEX todo_tags_owner_todo_idx ON todo_tags (owner_id, todo_id);
