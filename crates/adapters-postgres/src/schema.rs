//! The diesel schema, written by hand to match `migrations/` exactly (`diesel print-schema` needs
//! libpq, which this workspace does not link). `diesel.toml` points here so that a machine with
//! the diesel CLI can regenerate and diff it.

diesel::table! {
    deleted_accounts (issuer, subject) {
        issuer -> Text,
        subject -> Text,
        deleted_at -> Timestamptz,
    }
}

diesel::table! {
    event_outbox (id) {
        id -> Int8,
        user_id -> Int8,
        partition -> Int2,
        payload -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    follow_notifications (follower_id, followee_id) {
        follower_id -> Int8,
        followee_id -> Int8,
        last_notified_at -> Timestamptz,
    }
}

diesel::table! {
    follows (follower_id, followee_id) {
        follower_id -> Int8,
        followee_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    meetup_participants (meetup_id, user_id) {
        meetup_id -> Int8,
        user_id -> Int8,
        join_order -> Int8,
        joined_at -> Timestamptz,
    }
}

diesel::table! {
    meetups (id) {
        id -> Int8,
        host_id -> Int8,
        title -> Text,
        description -> Text,
        starts_at -> Timestamptz,
        capacity -> Nullable<Int4>,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    notifications (id) {
        id -> Int8,
        receiver_id -> Int8,
        actor_id -> Nullable<Int8>,
        kind -> Text,
        message -> Text,
        related_id -> Nullable<Int8>,
        related_timer_id -> Nullable<Uuid>,
        related_type -> Text,
        redirect_url -> Text,
        is_read -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    processed_commands (user_id, request_id) {
        user_id -> Int8,
        request_id -> Text,
        command_type -> Text,
        created_at -> Timestamptz,
        change -> Text,
        timer -> Jsonb,
    }
}

diesel::table! {
    schedule_tags (schedule_id, tag_id) {
        schedule_id -> Uuid,
        tag_id -> Uuid,
        owner_id -> Int8,
        position -> Int4,
    }
}

diesel::table! {
    schedules (id) {
        id -> Uuid,
        owner_id -> Int8,
        title -> Text,
        description -> Nullable<Text>,
        start_time -> Timestamptz,
        end_time -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    tags (id) {
        id -> Uuid,
        owner_id -> Int8,
        name -> Text,
        color -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    timer_alarms (timer_id) {
        timer_id -> Uuid,
        owner_id -> Int8,
        due_at -> Nullable<Timestamptz>,
        time_up_fired_for -> Nullable<Int4>,
        forgotten_fired_for -> Nullable<Int4>,
    }
}

diesel::table! {
    timer_tags (timer_id, tag_id) {
        timer_id -> Uuid,
        tag_id -> Uuid,
        owner_id -> Int8,
        position -> Int4,
    }
}

// `timers.run_bounds` (generated from `pause_history`, migration 2026-01-04-000004) is left out:
// a 17th column needs diesel's `32-column-tables` feature, which slows every build, and the only
// reader, the report query, is raw SQL. Diesel never writes it, as PostgreSQL requires.
diesel::table! {
    timers (id) {
        id -> Uuid,
        owner_id -> Int8,
        schedule_id -> Nullable<Uuid>,
        todo_id -> Nullable<Uuid>,
        title -> Nullable<Text>,
        description -> Nullable<Text>,
        allocated_duration -> Int4,
        status -> Text,
        started_at -> Timestamptz,
        paused_at -> Nullable<Timestamptz>,
        ended_at -> Nullable<Timestamptz>,
        pause_history -> Jsonb,
        visibility -> Text,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    todo_tags (todo_id, tag_id) {
        todo_id -> Uuid,
        tag_id -> Uuid,
        owner_id -> Int8,
        position -> Int4,
    }
}

diesel::table! {
    todos (id) {
        id -> Uuid,
        owner_id -> Int8,
        title -> Text,
        description -> Nullable<Text>,
        status -> Text,
        deadline -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        issuer -> Text,
        subject -> Text,
        nickname -> Text,
        profile_image -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(meetup_participants -> meetups (meetup_id));
diesel::joinable!(meetup_participants -> users (user_id));
diesel::joinable!(meetups -> users (host_id));
diesel::joinable!(processed_commands -> users (user_id));
diesel::joinable!(schedules -> users (owner_id));
diesel::joinable!(tags -> users (owner_id));
diesel::joinable!(timer_alarms -> timers (timer_id));
diesel::joinable!(timers -> users (owner_id));
diesel::joinable!(todos -> users (owner_id));

diesel::allow_tables_to_appear_in_same_query!(
    deleted_accounts,
    event_outbox,
    follow_notifications,
    follows,
    meetup_participants,
    meetups,
    notifications,
    processed_commands,
    schedule_tags,
    schedules,
    tags,
    timer_alarms,
    timer_tags,
    timers,
    todo_tags,
    todos,
    users,
);
