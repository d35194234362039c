-- Users, follows and the per-pair FOLLOW notification log.

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The token's `sub`: the only link between an identity provider and a user.
    subject       TEXT        NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 255),
    nickname      TEXT        NOT NULL CHECK (char_length(nickname) BETWEEN 1 AND 30),
    profile_image TEXT        CHECK (char_length(profile_image) BETWEEN 1 AND 2048),
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    CONSTRAINT users_subject_key UNIQUE (subject),
    CONSTRAINT users_updated_after_created CHECK (updated_at >= created_at)
);

CREATE TABLE follows (
    follower_id BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    followee_id BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (follower_id, followee_id),
    CONSTRAINT follows_not_self CHECK (follower_id <> followee_id)
);
-- "Whom does X follow", newest first (the primary key serves lookups of one pair).
CREATE INDEX follows_follower_created_idx ON follows (follower_id, created_at DESC, followee_id DESC);
-- Reverse lookup: "who follows X", newest first (followers list, meetup CREATE fan-out).
CREATE INDEX follows_followee_created_idx ON follows (followee_id, created_at DESC, follower_id DESC);

-- When a follower last caused a FOLLOW notification to a followee. Kept across unfollow, so
-- unfollowing and following again within 24 h stays silent; it is not a foreign key of `follows`.
CREATE TABLE follow_notifications (
    follower_id      BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    followee_id      BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_notified_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
);
-- Cascading deletes of a followee look rows up by it.
CREATE INDEX follow_notifications_followee_idx ON follow_notifications (followee_id);
