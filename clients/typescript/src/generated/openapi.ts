// Generated from docs/openapi.json by scripts/gen-openapi.mjs (openapi-typescript): do not edit by hand.
export interface paths {
    "/api/v1/meetups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /api/v1/meetups`: open meetups, newest first. */
        get: operations["list_meetups"];
        put?: never;
        /**
         * `POST /api/v1/meetups`: creates a meetup hosted by the caller; 201 with it. Every follower
         *     of the host gets a `CREATE` notification.
         */
        post: operations["create_meetup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/meetups/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /api/v1/meetups/{id}`: one meetup (open or cancelled) with its participants. */
        get: operations["get_meetup"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/meetups/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * `POST /api/v1/meetups/{id}/cancel`: the host cancels; 200 with the meetup. Every other
         *     participant gets a `CANCLE` notification.
         */
        post: operations["cancel_meetup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/meetups/{id}/participants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * `POST /api/v1/meetups/{id}/participants`: the caller joins; 201 with the meetup. The host
         *     gets an `ENTER` notification.
         */
        post: operations["join_meetup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/meetups/{id}/participants/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * `DELETE /api/v1/meetups/{id}/participants/me`: the caller leaves; 204. The host gets an
         *     `EXIT` notification.
         */
        delete: operations["leave_meetup"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/notifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /api/v1/notifications`: the caller's notifications, newest first. */
        get: operations["list_notifications"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/notifications/read-all": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** `PATCH /api/v1/notifications/read-all`: marks every notification read; `{"updated": n}`. */
        patch: operations["read_all_notifications"];
        trace?: never;
    };
    "/api/v1/notifications/subscribe": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /api/v1/notifications/subscribe`: the caller's notification stream. */
        get: operations["subscribe_notifications"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/notifications/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * `GET /api/v1/notifications/test`: stores a `TEST` notification from the caller to the caller,
         *     pushes it to the caller's streams and returns it (as the original spec's test endpoint).
         */
        get: operations["send_test_notification"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/notifications/unread-count": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /api/v1/notifications/unread-count`: `{"count": n}`. */
        get: operations["count_unread_notifications"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/notifications/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** `DELETE /api/v1/notifications/{id}`: deletes one; 204. */
        delete: operations["delete_notification"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/notifications/{id}/read": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** `PATCH /api/v1/notifications/{id}/read`: marks one read; 204. */
        patch: operations["read_notification"];
        trace?: never;
    };
    "/api/v1/users/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /api/v1/users/me`: the caller. */
        get: operations["get_me"];
        put?: never;
        post?: never;
        /**
         * `DELETE /api/v1/users/me`: deletes the caller's account; 204.
         * @description In one transaction: the caller's timers, schedules, todos, tags, received notifications and
         *     follows (both ways) are deleted; the OPEN meetups they host are cancelled (`CANCLE` to the
         *     participants) and removed, and they leave the OPEN meetups they joined (`EXIT` to the host);
         *     the notifications they caused stay, with the actor shown as `탈퇴한 사용자`. Then their
         *     WebSockets close with 4001 and their streams end with `account-deleted`, on every instance,
         *     and friends' clients get `hidden` for the timers they were shown. The token then gets
         *     `401 ACCOUNT_DELETED` until it expires.
         */
        delete: operations["delete_me"];
        options?: never;
        head?: never;
        /** `PATCH /api/v1/users/me`: changes the caller's nickname and picture; 200 with the user. */
        patch: operations["update_me"];
        trace?: never;
    };
    "/api/v1/users/me/friends": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /api/v1/users/me/friends`: the caller's mutual follows, newest first. */
        get: operations["list_friends"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/me/friends/active": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * `GET /api/v1/users/me/friends/active`: friends' RUNNING or PAUSED timers they let friends
         *     see, most recently changed first.
         */
        get: operations["list_friends_active"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /api/v1/users/{id}`: anyone's public profile; 404 `USER_NOT_FOUND`. */
        get: operations["get_user"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/{id}/follow": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * `POST /api/v1/users/{id}/follow`: follows the user; 201 with the followed user, 200 when
         *     already following.
         */
        post: operations["follow_user"];
        /** `DELETE /api/v1/users/{id}/follow`: stops following; 204 also when not following. */
        delete: operations["unfollow_user"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/{id}/followers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /api/v1/users/{id}/followers`: who follows the user, newest follow first. */
        get: operations["list_followers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/{id}/following": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /api/v1/users/{id}/following`: whom the user follows, newest follow first. */
        get: operations["list_following"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /healthz`: 200 with `{"status":"ok"}`. */
        get: operations["get_healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * `GET /metrics`: every metric in the OpenMetrics text format.
         * @description # Errors
         *     404 `NOT_FOUND` when metrics are switched off.
         */
        get: operations["get_metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * `GET /readyz`: 200 `{"status":"ok"}` when the database answers, else 503
         *     `SERVICE_UNAVAILABLE` (the cause is logged, not shown).
         */
        get: operations["get_readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reports/summary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /v1/reports/summary`: seconds worked in `[from, to)`, grouped. */
        get: operations["summary_report"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/schedules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /v1/schedules`: the caller's schedules, newest first. */
        get: operations["list_schedules"];
        put?: never;
        /** `POST /v1/schedules`: creates a schedule. */
        post: operations["create_schedule"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/schedules/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /v1/schedules/{id}`: one of the caller's schedules. */
        get: operations["get_schedule"];
        put?: never;
        post?: never;
        /** `DELETE /v1/schedules/{id}`: deletes one of the caller's schedules; its timers stay. */
        delete: operations["delete_schedule"];
        options?: never;
        head?: never;
        /** `PATCH /v1/schedules/{id}`: changes one of the caller's schedules. */
        patch: operations["update_schedule"];
        trace?: never;
    };
    "/v1/schedules/{id}/timers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /v1/schedules/{id}/timers`: the caller's timers on their schedule. */
        get: operations["list_schedule_timers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/schedules/{id}/timers/active": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /v1/schedules/{id}/timers/active`: the caller's newest active timer on that schedule. */
        get: operations["get_active_schedule_timer"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tags": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /v1/tags`: the caller's tags, newest first. */
        get: operations["list_tags"];
        put?: never;
        /** `POST /v1/tags`: creates a tag. */
        post: operations["create_tag"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tags/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /v1/tags/{id}`: one of the caller's tags. */
        get: operations["get_tag"];
        put?: never;
        post?: never;
        /** `DELETE /v1/tags/{id}`: deletes one of the caller's tags everywhere. */
        delete: operations["delete_tag"];
        options?: never;
        head?: never;
        /** `PATCH /v1/tags/{id}`: renames or recolors one of the caller's tags. */
        patch: operations["update_tag"];
        trace?: never;
    };
    "/v1/timers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /v1/timers`: the caller's timers, their friends' shared ones, or both, newest first. */
        get: operations["list_timers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/timers/active": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /v1/timers/active`: the caller's newest RUNNING or PAUSED timer. */
        get: operations["get_active_timer"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/timers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /v1/timers/{id}`: the caller's own timer, or another user's they may read. */
        get: operations["get_timer"];
        put?: never;
        post?: never;
        /** `DELETE /v1/timers/{id}`: deletes the caller's timer, whatever its status. */
        delete: operations["delete_timer"];
        options?: never;
        head?: never;
        /** `PATCH /v1/timers/{id}`: changes the caller's timer's metadata. */
        patch: operations["update_timer"];
        trace?: never;
    };
    "/v1/todos": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /v1/todos`: the caller's todos, newest first. */
        get: operations["list_todos"];
        put?: never;
        /** `POST /v1/todos`: creates a todo. */
        post: operations["create_todo"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/todos/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /v1/todos/{id}`: one of the caller's todos. */
        get: operations["get_todo"];
        put?: never;
        post?: never;
        /** `DELETE /v1/todos/{id}`: deletes one of the caller's todos; its timers stay. */
        delete: operations["delete_todo"];
        options?: never;
        head?: never;
        /** `PATCH /v1/todos/{id}`: changes one of the caller's todos. */
        patch: operations["update_todo"];
        trace?: never;
    };
    "/v1/todos/{id}/timers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /v1/todos/{id}/timers`: the caller's timers on their todo. */
        get: operations["list_todo_timers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/todos/{id}/timers/active": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** `GET /v1/todos/{id}/timers/active`: the caller's newest active timer on that todo. */
        get: operations["get_active_todo_timer"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description Seconds by the status each timer has now. */
        ByStatusDto: {
            /**
             * Format: int64
             * @description Seconds of timers now RUNNING or PAUSED.
             */
            active: number;
            /**
             * Format: int64
             * @description Seconds of timers now CANCELLED.
             */
            cancelled: number;
            /**
             * Format: int64
             * @description Seconds of timers now COMPLETED.
             */
            completed: number;
        };
        /** @description The body of `POST /api/v1/meetups`. */
        CreateMeetupRequest: {
            /**
             * Format: int64
             * @description 2–100, counting the host; absent or null for no limit.
             */
            capacity?: number | null;
            /** @description At most 2000 characters. */
            description?: string | null;
            /** @description ISO-8601 datetime in the future (naive is read as UTC). */
            startsAt: string;
            /** @description 1–100 characters. */
            title: string;
        };
        /** @description The body of `POST /v1/schedules`. */
        CreateScheduleRequest: {
            /** @description At most 2000 characters. */
            description?: string | null;
            /** @description ISO-8601 datetime, not before `start_time`. */
            end_time: string;
            /** @description ISO-8601 datetime, naive (UTC) or with an offset. */
            start_time: string;
            /** @description The caller's tags. */
            tag_ids?: string[] | null;
            /** @description At most 200 characters. */
            title: string;
        };
        /** @description The body of `POST /v1/tags`. */
        CreateTagRequest: {
            /** @description `#RRGGBB`. */
            color: string;
            /** @description 1 to 50 characters after trimming; unique among the caller's tags. */
            name: string;
        };
        /** @description The body of `POST /v1/todos`. */
        CreateTodoRequest: {
            /** @description ISO-8601 datetime, naive (UTC) or with an offset. */
            deadline?: string | null;
            /** @description At most 2000 characters. */
            description?: string | null;
            /** @description `TODO` (default), `IN_PROGRESS` or `DONE`. */
            status?: string | null;
            /** @description The caller's tags. */
            tag_ids?: string[] | null;
            /** @description At most 200 characters. */
            title: string;
        };
        /**
         * @description The error envelope every non-2xx REST answer carries.
         * @example {
         *       "code": "TIMER_NOT_FOUND",
         *       "message": "timer not found"
         *     }
         */
        ErrorBody: {
            /**
             * @description A stable code, e.g. `INVALID_PARAMETER`, `TIMER_NOT_FOUND`, `VALIDATION_FAILED`.
             * @enum {string}
             */
            code: "INVALID_PARAMETER" | "INVALID_TIMEZONE" | "UNAUTHORIZED" | "ACCOUNT_DELETED" | "FORBIDDEN" | "NOT_FOUND" | "TIMER_NOT_FOUND" | "NO_ACTIVE_TIMER" | "SCHEDULE_NOT_FOUND" | "TODO_NOT_FOUND" | "TAG_NOT_FOUND" | "USER_NOT_FOUND" | "MEETUP_NOT_FOUND" | "NOTIFICATION_NOT_FOUND" | "NOT_A_PARTICIPANT" | "METHOD_NOT_ALLOWED" | "DUPLICATE_NAME" | "CANNOT_FOLLOW_SELF" | "MEETUP_FULL" | "MEETUP_CANCELLED" | "ALREADY_JOINED" | "HOST_CANNOT_JOIN" | "PAYLOAD_TOO_LARGE" | "VALIDATION_FAILED" | "RATE_LIMITED" | "INTERNAL_ERROR" | "SERVICE_UNAVAILABLE";
            /** @description A human-readable explanation naming the offending parameter or field where there is one. */
            message: string;
        };
        /**
         * @description One friend's active timer (`GET /api/v1/users/me/friends/active`, `timer.friends_snapshot`):
         *     the friend and the timer, rendered like every timer the caller reads (its own tags,
         *     `schedule`/`todo` null, `is_shared: true`). A friend with two active timers they let friends
         *     see appears twice, once per timer.
         */
        FriendTimerDto: {
            /** @description The friend (owner of the timer). */
            friend: components["schemas"]["UserDto"];
            /** @description Their RUNNING or PAUSED timer, visibility `friends` or `public`. */
            timer: components["schemas"]["TimerDto"];
        };
        /** @description The body of a successful probe: `{"status":"ok"}`. */
        HealthBody: {
            /**
             * @description Always `"ok"`.
             * @example ok
             */
            status: string;
        };
        /** @description A meetup as `/api/v1` renders it. */
        MeetupDto: {
            /**
             * Format: int32
             * @description Most participants, host included; null for no limit.
             */
            capacity?: number | null;
            /** @description Creation instant. */
            createdAt: string;
            /** @description At most 2000 characters; empty when none was given. */
            description: string;
            /**
             * Format: int64
             * @description The host's user id.
             */
            hostId: number;
            /**
             * Format: int64
             * @description Numeric id (the notifications' `relatedId`).
             */
            id: number;
            /** @description How many participants, host included. */
            participantCount: number;
            /** @description The participants, host first, then in join order. */
            participants: components["schemas"]["UserDto"][];
            /** @description When it starts. */
            startsAt: string;
            /** @description `OPEN` or `CANCELLED`. */
            status: string;
            /** @description 1–100 characters. */
            title: string;
            /** @description Last change (join, leave, cancel). */
            updatedAt: string;
        };
        /**
         * @description A notification as REST and the SSE `notification` event render it: exactly the original
         *     spec's object, camelCase.
         * @example {
         *       "actorId": 102,
         *       "actorNickname": "user0",
         *       "actorProfileImage": "https://example.com/profile/user0.jpg",
         *       "createdAt": "2025-12-15T22:35:21",
         *       "id": 1,
         *       "isRead": false,
         *       "message": "user0님이 회원님을 팔로우하기 시작했습니다.",
         *       "receiverId": 100,
         *       "redirectUrl": "/profile/102",
         *       "relatedId": null,
         *       "relatedType": "FOLLOW",
         *       "type": "FOLLOW"
         *     }
         */
        NotificationDto: {
            /**
             * Format: int64
             * @description Who caused it; null for a system notification.
             */
            actorId?: number | null;
            /** @description The actor's current nickname; `탈퇴한 사용자` once the actor deleted their account. */
            actorNickname?: string | null;
            /** @description The actor's current picture; null without one. */
            actorProfileImage?: string | null;
            /** @description When it was stored (naive UTC, or in the request's `timezone`). */
            createdAt: string;
            /**
             * Format: int64
             * @description Increases per receiver in commit order; the SSE `id:` and `Last-Event-ID`.
             */
            id: number;
            /** @description Whether the receiver has read it. */
            isRead: boolean;
            /** @description The Korean text to show. */
            message: string;
            /**
             * Format: int64
             * @description Who receives it.
             */
            receiverId: number;
            /** @description The front-end path to open on click. */
            redirectUrl: string;
            /** @description The meetup id (a number) for meetup kinds, the timer id (a UUID string) for timer kinds; null otherwise. */
            relatedId?: number | string | null;
            /**
             * @description `FOLLOW`, `POST`, `TEST` or `TIMER`.
             * @enum {string}
             */
            relatedType: "FOLLOW" | "POST" | "TEST" | "TIMER";
            /**
             * @description `FOLLOW`, `ENTER`, `EXIT`, `CREATE`, `CANCLE` (sic), `TEST`, `TIME_UP` or `TIMER_FORGOTTEN`.
             * @enum {string}
             */
            type: "FOLLOW" | "ENTER" | "EXIT" | "CREATE" | "CANCLE" | "TEST" | "TIME_UP" | "TIMER_FORGOTTEN";
        };
        /**
         * @description The data of the SSE `notification-read` and `notification-deleted` events (extensions): the
         *     ids of the receiver's notifications that were marked read, or deleted, in one change.
         * @example {
         *       "ids": [
         *         41,
         *         42
         *       ]
         *     }
         */
        NotificationIdsEventDto: {
            /** @description The notifications' ids, ascending. */
            ids: number[];
        };
        /**
         * @description The body of `PATCH /api/v1/users/me`: absent keeps a field, `null` clears `profileImage`
         *     (a nickname cannot be cleared).
         */
        PatchMeBody: {
            /** @description New nickname, 1–30 characters. */
            nickname?: string | null;
            /** @description New picture URL (http or https), or null to remove it. */
            profileImage?: string | null;
        };
        /**
         * @description The body of `PATCH /v1/schedules/{id}`: absent keeps, a value sets; `description` and
         *     `tag_ids` may be `null` to clear; `title`, `start_time` and `end_time` may not.
         */
        PatchScheduleRequest: {
            /** @description At most 2000 characters; `null` clears. */
            description?: string | null;
            /** @description New end; not null, not before the start. */
            end_time?: string | null;
            /** @description New start; not null. */
            start_time?: string | null;
            /** @description Replaces the tag set; `null` or `[]` removes every tag. */
            tag_ids?: string[] | null;
            /** @description At most 200 characters; not null. */
            title?: string | null;
        };
        /** @description The body of `PATCH /v1/tags/{id}`: absent keeps, a value sets; neither may be `null`. */
        PatchTagRequest: {
            /** @description New color, `#RRGGBB`. */
            color?: string | null;
            /** @description New name. */
            name?: string | null;
        };
        /**
         * @description The body of `PATCH /v1/timers/{id}`: every field optional; absent keeps, `null` clears,
         *     a value sets.
         */
        PatchTimerRequest: {
            /**
             * Format: int64
             * @description Seconds, 1 to 86400; moves the instant the timer's time is up (`timer.time_up`), which
             *     goes off again for the new value. Cannot be `null`.
             */
            allocated_duration?: number | null;
            /** @description At most 2000 characters; `null` clears. */
            description?: string | null;
            /**
             * Format: uuid
             * @description One of the caller's schedules; `null` unlinks.
             */
            schedule_id?: string | null;
            /** @description The caller's tags, replacing the current set; `null` or `[]` removes every tag. */
            tag_ids?: string[] | null;
            /** @description At most 200 characters; `null` clears. */
            title?: string | null;
            /**
             * Format: uuid
             * @description One of the caller's todos; `null` unlinks.
             */
            todo_id?: string | null;
            /** @description `private`, `friends` or `public`; `null` restores the default `friends`. */
            visibility?: string | null;
        };
        /**
         * @description The body of `PATCH /v1/todos/{id}`: absent keeps, a value sets; `description`, `deadline`
         *     and `tag_ids` may be `null` to clear; `title` and `status` may not.
         */
        PatchTodoRequest: {
            /** @description ISO-8601 datetime; `null` clears. */
            deadline?: string | null;
            /** @description At most 2000 characters; `null` clears. */
            description?: string | null;
            /** @description `TODO`, `IN_PROGRESS` or `DONE`; not null. */
            status?: string | null;
            /** @description Replaces the tag set; `null` or `[]` removes every tag. */
            tag_ids?: string[] | null;
            /** @description At most 200 characters; not null. */
            title?: string | null;
        };
        /** @description One `pause_history` entry: `{action, at, elapsed?}`; `elapsed` is omitted when absent. */
        PauseEventDto: {
            /** @description `start`, `pause`, `resume`, `stop` or `cancel`. */
            action: string;
            /** @description When, zone-rendered. */
            at: string;
            /**
             * Format: int64
             * @description Elapsed seconds right after the event; only on `pause`, `stop` and `cancel`.
             */
            elapsed?: number | null;
        };
        /** @description The body of `PATCH /api/v1/notifications/read-all`. */
        ReadAllBody: {
            /**
             * Format: int64
             * @description How many notifications changed from unread to read.
             */
            updated: number;
        };
        /**
         * @description `GET /v1/reports/summary`.
         * @example {
         *       "from": "2026-03-28",
         *       "group_by": "day",
         *       "groups": [
         *         {
         *           "by_status": {
         *             "active": 3600,
         *             "cancelled": 0,
         *             "completed": 0
         *           },
         *           "key": "2026-03-28",
         *           "name": null,
         *           "seconds": 3600
         *         },
         *         {
         *           "by_status": {
         *             "active": 0,
         *             "cancelled": 0,
         *             "completed": 82800
         *           },
         *           "key": "2026-03-29",
         *           "name": null,
         *           "seconds": 82800
         *         }
         *       ],
         *       "timezone": "Europe/Berlin",
         *       "to": "2026-03-30",
         *       "total": {
         *         "by_status": {
         *           "active": 3600,
         *           "cancelled": 0,
         *           "completed": 82800
         *         },
         *         "seconds": 86400
         *       }
         *     }
         */
        ReportDto: {
            /** @description The first day, as given (`YYYY-MM-DD`). */
            from: string;
            /** @description `day`, `tag`, `schedule` or `todo`. */
            group_by: string;
            /**
             * @description `day`: every day of the range in order, zeros included. Otherwise the groups with at
             *     least one second, most seconds first, the `null` group (untagged or unlinked) last.
             */
            groups: components["schemas"]["ReportGroupDto"][];
            /** @description The zone whose local midnights cut the days: the `timezone` parameter, or `UTC`. */
            timezone: string;
            /** @description The day after the last one, as given: the range is `[from, to)`. */
            to: string;
            /** @description Every timer counted once (a timer with two tags too). */
            total: components["schemas"]["ReportTotalDto"];
        };
        /** @description One group of the report. */
        ReportGroupDto: {
            /** @description The same seconds by status. */
            by_status: components["schemas"]["ByStatusDto"];
            /**
             * @description `group_by=day`: the local date `YYYY-MM-DD`; `tag`, `schedule`, `todo`: the id, or
             *     `null` for the untagged or unlinked timers.
             */
            key?: string | null;
            /** @description The tag's name or the schedule's or todo's title; `null` for days and the `null` group. */
            name?: string | null;
            /**
             * Format: int64
             * @description Seconds worked in this group inside the range.
             */
            seconds: number;
        };
        /** @description The overall total: every timer counted once. */
        ReportTotalDto: {
            /** @description The same seconds by status. */
            by_status: components["schemas"]["ByStatusDto"];
            /**
             * Format: int64
             * @description Seconds worked in the range.
             */
            seconds: number;
        };
        /** @description A schedule: `{id, title, description, start_time, end_time, tag_ids, created_at, updated_at}`. */
        ScheduleDto: {
            /** @description Creation instant, zone-rendered. */
            created_at: string;
            /** @description Description or null. */
            description?: string | null;
            /** @description End, zone-rendered. */
            end_time: string;
            /**
             * Format: uuid
             * @description The schedule's UUID.
             */
            id: string;
            /** @description Start, zone-rendered. */
            start_time: string;
            /** @description Attached tags' UUIDs (`[]` when none). */
            tag_ids: string[];
            /** @description Title. */
            title: string;
            /** @description Last change, zone-rendered. */
            updated_at: string;
        };
        /** @description A tag as embedded in timers (and returned by the tag routes): `{id, name, color}`. */
        TagDto: {
            /** @description Its color, `#RRGGBB`. */
            color: string;
            /**
             * Format: uuid
             * @description The tag's UUID.
             */
            id: string;
            /** @description Its name. */
            name: string;
        };
        /** @description A timer as the API writes it (the Timer model table of `timer-api.md`). */
        TimerDto: {
            /**
             * Format: int64
             * @description Planned seconds.
             */
            allocated_duration: number;
            /** @description Creation instant. */
            created_at: string;
            /** @description Description or null. */
            description?: string | null;
            /**
             * Format: int64
             * @description Seconds spent RUNNING as of the moment the response was built.
             */
            elapsed_time: number;
            /** @description Stop or cancel instant, or null. */
            ended_at?: string | null;
            /**
             * Format: uuid
             * @description The timer's UUID.
             */
            id: string;
            /** @description Whether the viewer is not the owner. */
            is_shared: boolean;
            /** @description `elapsed_time > allocated_duration`. */
            overtime: boolean;
            /** @description The owner's user id as a decimal string. */
            owner_id: string;
            /** @description Every transition, oldest first. */
            pause_history: components["schemas"]["PauseEventDto"][];
            /** @description Last pause, or null. */
            paused_at?: string | null;
            schedule?: components["schemas"]["ScheduleDto"] | null;
            /**
             * Format: uuid
             * @description Linked schedule or null.
             */
            schedule_id?: string | null;
            /** @description Creation instant of the timer; never changes. */
            started_at: string;
            /** @description `RUNNING`, `PAUSED`, `COMPLETED` or `CANCELLED`. */
            status: string;
            /** @description Embedded tags (`[]` when not requested). */
            tags: components["schemas"]["TagDto"][];
            /** @description Title or null. */
            title?: string | null;
            todo?: components["schemas"]["TodoDto"] | null;
            /**
             * Format: uuid
             * @description Linked todo or null.
             */
            todo_id?: string | null;
            /** @description Last stored change. */
            updated_at: string;
            /**
             * Format: int64
             * @description 1 at creation, +1 per stored change.
             */
            version: number;
            /** @description `private`, `friends` or `public`. */
            visibility: string;
        };
        /** @description A todo: `{id, title, description, status, deadline, tag_ids, created_at, updated_at}`. */
        TodoDto: {
            /** @description Creation instant, zone-rendered. */
            created_at: string;
            /** @description Deadline, zone-rendered, or null. */
            deadline?: string | null;
            /** @description Description or null. */
            description?: string | null;
            /**
             * Format: uuid
             * @description The todo's UUID.
             */
            id: string;
            /** @description `TODO`, `IN_PROGRESS` or `DONE`. */
            status: string;
            /** @description Attached tags' UUIDs (`[]` when none). */
            tag_ids: string[];
            /** @description Title. */
            title: string;
            /** @description Last change, zone-rendered. */
            updated_at: string;
        };
        /** @description The body of `GET /api/v1/notifications/unread-count`. */
        UnreadCountBody: {
            /**
             * Format: int64
             * @description Unread notifications of the caller.
             */
            count: number;
        };
        /**
         * @description The data of the SSE `unread-count` event (an extension): the receiver's unread count as of the
         *     change it follows.
         * @example {
         *       "unreadCount": 3
         *     }
         */
        UnreadCountEventDto: {
            /**
             * Format: int64
             * @description Unread notifications of the receiver.
             */
            unreadCount: number;
        };
        /** @description A user as `/api/v1` renders it. */
        UserDto: {
            /** @description Creation instant, rendered in the request's zone. */
            createdAt: string;
            /**
             * Format: int64
             * @description Numeric id.
             */
            id: number;
            /** @description Display name. */
            nickname: string;
            /** @description Picture URL, or null. */
            profileImage?: string | null;
        };
    };
    responses: {
        /** @description `RATE_LIMITED`: more than `REST_RATE_LIMIT_MAX` requests in `REST_RATE_LIMIT_WINDOW` seconds for this user; retry after `Retry-After` */
        RateLimited: {
            headers: {
                /** @description Seconds to wait before the next request */
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description `SERVICE_UNAVAILABLE`: the database cannot be reached; retry later */
        ServiceUnavailable: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    list_meetups: {
        parameters: {
            query?: {
                /** @description Page size, 1 to 100, default 50 */
                limit?: number;
                /** @description The `X-Next-Cursor` of the previous page */
                cursor?: string;
                /** @description How datetimes are written */
                timezone?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of open meetups */
            200: {
                headers: {
                    /** @description Cursor of the next page; absent on the last page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MeetupDto"][];
                };
            };
            /** @description `INVALID_PARAMETER` or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    create_meetup: {
        parameters: {
            query?: {
                /** @description How datetimes are written */
                timezone?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateMeetupRequest"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MeetupDto"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `VALIDATION_FAILED` naming the field (e.g. `startsAt` not in the future) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    get_meetup: {
        parameters: {
            query?: {
                /** @description How datetimes are written */
                timezone?: string;
            };
            header?: never;
            path: {
                /** @description The meetup */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The meetup */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MeetupDto"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `MEETUP_NOT_FOUND` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    cancel_meetup: {
        parameters: {
            query?: {
                /** @description How datetimes are written */
                timezone?: string;
            };
            header?: never;
            path: {
                /** @description The meetup */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Cancelled */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MeetupDto"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `FORBIDDEN`: only the host may cancel */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `MEETUP_NOT_FOUND` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `MEETUP_CANCELLED`: already cancelled */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    join_meetup: {
        parameters: {
            query?: {
                /** @description How datetimes are written */
                timezone?: string;
            };
            header?: never;
            path: {
                /** @description The meetup */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Joined */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MeetupDto"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `MEETUP_NOT_FOUND` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `MEETUP_FULL`, `MEETUP_CANCELLED`, `ALREADY_JOINED` or `HOST_CANNOT_JOIN` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    leave_meetup: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The meetup */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Left */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `FORBIDDEN`: the host cannot leave (cancel instead) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `MEETUP_NOT_FOUND` or `NOT_A_PARTICIPANT` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `MEETUP_CANCELLED` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    list_notifications: {
        parameters: {
            query?: {
                /** @description Only unread ones */
                unreadOnly?: boolean;
                /** @description Page size, 1 to 100, default 50 */
                limit?: number;
                /** @description The `X-Next-Cursor` of the previous page */
                cursor?: string;
                /** @description How `createdAt` is written */
                timezone?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page, newest first */
            200: {
                headers: {
                    /** @description Cursor of the next page; absent on the last page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NotificationDto"][];
                };
            };
            /** @description `INVALID_PARAMETER` or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    read_all_notifications: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description How many changed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReadAllBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    subscribe_notifications: {
        parameters: {
            query?: {
                /** @description The JWT (EventSource cannot send headers); or use `Authorization: Bearer` */
                accessToken?: string;
                /** @description Replay stored notifications with a larger id first (the `Last-Event-ID` header wins when both are sent) */
                lastEventId?: number;
                /** @description How `createdAt` is written; heartbeats are always UTC */
                timezone?: string;
            };
            header?: {
                /** @description Sent by the browser on reconnect: replay what is newer, then go live */
                "Last-Event-ID"?: number | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An endless `text/event-stream`: `retry: 3000` + `event: connect` / `data: Connected`, then the replay (if any), then `event: unread-count` / `data: {"unreadCount": n}` (UnreadCountEventDto). Live: `id:` / `event: notification` / `data: <notification JSON>` frames; `event: notification-read` and `event: notification-deleted` / `data: {"ids": [...]}` (NotificationIdsEventDto) when notifications are marked read or deleted on any device; each of those three followed by `unread-count` with the count that change left (extensions: a client listening only for `notification` is unaffected, and they carry no `id:`); `event: heartbeat` / `data: <UTC RFC 3339>` every SSE_HEARTBEAT_SECONDS. An evicted stream (too many per user) gets `retry: 3600000` with `event: evicted` / `data: {"retryMs": 3600000}` and ends. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description `INVALID_PARAMETER` or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED`, before any stream starts */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `FORBIDDEN`: a browser Origin not in CORS_ALLOWED_ORIGINS */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `RATE_LIMITED` (with `Retry-After`): more than SSE_CONNECT_MAX subscribes per SSE_CONNECT_WINDOW seconds for this user */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    send_test_notification: {
        parameters: {
            query?: {
                /** @description How `createdAt` is written */
                timezone?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The stored `TEST` notification */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NotificationDto"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    count_unread_notifications: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The caller's unread count */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UnreadCountBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    delete_notification: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The notification */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `NOTIFICATION_NOT_FOUND` (also for someone else's) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    read_notification: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The notification */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Read */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `NOTIFICATION_NOT_FOUND` (also for someone else's) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    get_me: {
        parameters: {
            query?: {
                /** @description How `createdAt` is written (naive UTC without it) */
                timezone?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The caller */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserDto"];
                };
            };
            /** @description `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    delete_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `UNAUTHORIZED`, or `ACCOUNT_DELETED` for a token of a deleted account */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    update_me: {
        parameters: {
            query?: {
                /** @description How `createdAt` is written (naive UTC without it) */
                timezone?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PatchMeBody"];
            };
        };
        responses: {
            /** @description The changed user */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserDto"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `PAYLOAD_TOO_LARGE` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `VALIDATION_FAILED` naming the field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    list_friends: {
        parameters: {
            query?: {
                /** @description Page size, 1 to 100, default 50 */
                limit?: number;
                /** @description The `X-Next-Cursor` of the previous page */
                cursor?: string;
                /** @description How `createdAt` is written */
                timezone?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of users */
            200: {
                headers: {
                    /** @description Cursor of the next page; absent on the last page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserDto"][];
                };
            };
            /** @description `INVALID_PARAMETER` or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    list_friends_active: {
        parameters: {
            query?: {
                /** @description Page size, 1 to 100, default 50 */
                limit?: number;
                /** @description The `X-Next-Cursor` of the previous page (or `next_cursor` of `timer.friends_snapshot`) */
                cursor?: string;
                /** @description How datetimes are written */
                timezone?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of friends' active timers (visibility `friends` or `public`, never `private`), one item per timer, most recently changed (`updated_at`, then id) first */
            200: {
                headers: {
                    /** @description Cursor of the next page; absent on the last page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FriendTimerDto"][];
                };
            };
            /** @description `INVALID_PARAMETER` or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    get_user: {
        parameters: {
            query?: {
                /** @description How `createdAt` is written (naive UTC without it) */
                timezone?: string;
            };
            header?: never;
            path: {
                /** @description Numeric user id */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserDto"];
                };
            };
            /** @description `INVALID_PARAMETER` (malformed id) or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `USER_NOT_FOUND` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    follow_user: {
        parameters: {
            query?: {
                /** @description How `createdAt` is written */
                timezone?: string;
            };
            header?: never;
            path: {
                /** @description The user to follow */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Already following */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserDto"];
                };
            };
            /** @description Now following; a `FOLLOW` notification was sent unless one was within 24 h */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserDto"];
                };
            };
            /** @description `CANNOT_FOLLOW_SELF` or `INVALID_PARAMETER` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `USER_NOT_FOUND` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    unfollow_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user to stop following */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Not following (any more). When the two were friends, each one's online clients get `timer.friend_activity{action:"hidden"}` for the other's RUNNING or PAUSED `friends`/`public` timers */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `INVALID_PARAMETER` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `USER_NOT_FOUND` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    list_followers: {
        parameters: {
            query?: {
                /** @description Page size, 1 to 100, default 50 */
                limit?: number;
                /** @description The `X-Next-Cursor` of the previous page */
                cursor?: string;
                /** @description How `createdAt` is written */
                timezone?: string;
            };
            header?: never;
            path: {
                /** @description The user */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of users */
            200: {
                headers: {
                    /** @description Cursor of the next page; absent on the last page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserDto"][];
                };
            };
            /** @description `INVALID_PARAMETER` or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `USER_NOT_FOUND` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    list_following: {
        parameters: {
            query?: {
                /** @description Page size, 1 to 100, default 50 */
                limit?: number;
                /** @description The `X-Next-Cursor` of the previous page */
                cursor?: string;
                /** @description How `createdAt` is written */
                timezone?: string;
            };
            header?: never;
            path: {
                /** @description The user */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of users */
            200: {
                headers: {
                    /** @description Cursor of the next page; absent on the last page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserDto"][];
                };
            };
            /** @description `INVALID_PARAMETER` or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `USER_NOT_FOUND` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    get_healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process serves HTTP */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HealthBody"];
                };
            };
        };
    };
    get_metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every metric in the OpenMetrics text format (which Prometheus scrapes natively); see docs/observability.md */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/openmetrics-text; version=1.0.0; charset=utf-8": string;
                };
            };
            /** @description `NOT_FOUND`: metrics are switched off (`METRICS_ENABLED=false`) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The database answers */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HealthBody"];
                };
            };
            /** @description `SERVICE_UNAVAILABLE`: the database does not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    summary_report: {
        parameters: {
            query: {
                /** @description First day, `YYYY-MM-DD`, in `timezone` */
                from: string;
                /** @description Day after the last one, `YYYY-MM-DD`: the range is `[from, to)`; `from == to` is empty; at most 400 days after `from` */
                to: string;
                /** @description Whose local midnights cut the days (DST-correct): `UTC`, an offset or an IANA name; UTC when absent */
                timezone?: string;
                /** @description `day` (default), `tag`, `schedule` or `todo` */
                group_by?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Seconds per group and overall; `Accept: text/csv` gives CSV (`key,name,seconds,completed,cancelled,active`, a row per group, then a `total` row) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReportDto"];
                    "text/csv": string;
                };
            };
            /** @description `INVALID_PARAMETER` (missing or bad date, `from` after `to`, more than 400 days, unknown `group_by`) or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    list_schedules: {
        parameters: {
            query?: {
                /** @description `start_time >= start_date`: a datetime, or `YYYY-MM-DD` (start of that day in `timezone`, else UTC) */
                start_date?: string;
                /** @description `start_time <= end_date`: a datetime, or `YYYY-MM-DD` (end of that day) */
                end_date?: string;
                /** @description How datetimes are written and plain dates read */
                timezone?: string;
                /** @description Page size, 1 to 100, default 50 */
                limit?: number;
                /** @description The `X-Next-Cursor` of the previous page */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page, newest first */
            200: {
                headers: {
                    /** @description Cursor of the next page; absent on the last page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleDto"][];
                };
            };
            /** @description `INVALID_PARAMETER` or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    create_schedule: {
        parameters: {
            query?: {
                /** @description How datetimes of the answer are written */
                timezone?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateScheduleRequest"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleDto"];
                };
            };
            /** @description `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `TAG_NOT_FOUND`: a tag that is unknown or another user's */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `PAYLOAD_TOO_LARGE` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `VALIDATION_FAILED` naming the field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    get_schedule: {
        parameters: {
            query?: {
                /** @description How datetimes are written */
                timezone?: string;
            };
            header?: never;
            path: {
                /** @description The schedule's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The schedule */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleDto"];
                };
            };
            /** @description `INVALID_PARAMETER` (malformed id) or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `SCHEDULE_NOT_FOUND` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    delete_schedule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The schedule's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted; its timers now have `schedule_id: null`, `version` + 1, and are announced with `timer.updated{action:"update"}` */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `INVALID_PARAMETER` (malformed id) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `SCHEDULE_NOT_FOUND` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    update_schedule: {
        parameters: {
            query?: {
                /** @description How datetimes of the answer are written */
                timezone?: string;
            };
            header?: never;
            path: {
                /** @description The schedule's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PatchScheduleRequest"];
            };
        };
        responses: {
            /** @description The schedule as stored */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleDto"];
                };
            };
            /** @description `INVALID_PARAMETER` (malformed id) or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `SCHEDULE_NOT_FOUND`, or `TAG_NOT_FOUND` for a foreign or unknown tag */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `PAYLOAD_TOO_LARGE` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `VALIDATION_FAILED` naming the field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    list_schedule_timers: {
        parameters: {
            query?: {
                /** @description As for `GET /v1/timers` */
                status?: string[];
                /** @description As for `GET /v1/timers` */
                type?: string;
                /** @description As for `GET /v1/timers` */
                start_date?: string;
                /** @description As for `GET /v1/timers` */
                end_date?: string;
                /** @description Embed the schedule */
                include_schedule?: boolean;
                /** @description Embed the linked todo */
                include_todo?: boolean;
                /** @description `none`, `timer_only`, `inherit_from_schedule` */
                tag_include_mode?: string;
                /** @description How datetimes are written */
                timezone?: string;
                /** @description Page size, 1 to 200, default 50 */
                limit?: number;
                /** @description The `X-Next-Cursor` of the previous page */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description The schedule's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page, newest first */
            200: {
                headers: {
                    /** @description Cursor of the next page; absent on the last page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TimerDto"][];
                };
            };
            /** @description `INVALID_PARAMETER` or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `SCHEDULE_NOT_FOUND` (missing or not the caller's) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    get_active_schedule_timer: {
        parameters: {
            query?: {
                /** @description Embed the schedule */
                include_schedule?: boolean;
                /** @description Embed the linked todo */
                include_todo?: boolean;
                /** @description `none`, `timer_only`, `inherit_from_schedule` */
                tag_include_mode?: string;
                /** @description How datetimes are written */
                timezone?: string;
            };
            header?: never;
            path: {
                /** @description The schedule's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The newest RUNNING or PAUSED timer on the schedule */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TimerDto"];
                };
            };
            /** @description `INVALID_PARAMETER` or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `SCHEDULE_NOT_FOUND`, or `NO_ACTIVE_TIMER` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    list_tags: {
        parameters: {
            query?: {
                /** @description Page size, 1 to 100, default 50 */
                limit?: number;
                /** @description The `X-Next-Cursor` of the previous page */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page, newest first */
            200: {
                headers: {
                    /** @description Cursor of the next page; absent on the last page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TagDto"][];
                };
            };
            /** @description `INVALID_PARAMETER` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    create_tag: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTagRequest"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TagDto"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `DUPLICATE_NAME`: the caller already has a tag with this name */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `PAYLOAD_TOO_LARGE` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `VALIDATION_FAILED` naming the field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    get_tag: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The tag's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tag */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TagDto"];
                };
            };
            /** @description `INVALID_PARAMETER` (malformed id) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `TAG_NOT_FOUND` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    delete_tag: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The tag's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted and removed from every timer, schedule and todo; each affected timer gets `version` + 1 and `timer.updated{action:"update"}` */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `INVALID_PARAMETER` (malformed id) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `TAG_NOT_FOUND` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    update_tag: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The tag's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PatchTagRequest"];
            };
        };
        responses: {
            /** @description The tag as stored */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TagDto"];
                };
            };
            /** @description `INVALID_PARAMETER` (malformed id) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `TAG_NOT_FOUND` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `DUPLICATE_NAME` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `PAYLOAD_TOO_LARGE` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `VALIDATION_FAILED` naming the field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    list_timers: {
        parameters: {
            query?: {
                /** @description `mine` (default), `shared` (friends' timers with visibility `friends` or `public`), `all` */
                scope?: string;
                /** @description RUNNING, PAUSED, COMPLETED, CANCELLED (any case); repeat it (`status=A&status=B`), use `status[]=A`, or comma-separate (`status=A,B`) */
                status?: string[];
                /** @description `independent` (no link), `schedule` (schedule linked), `todo` (todo linked) */
                type?: string;
                /** @description `started_at >= start_date`: an ISO-8601 datetime (naive = UTC, or with an offset) or `YYYY-MM-DD` (start of that day in `timezone`, else UTC) */
                start_date?: string;
                /** @description `started_at <= end_date`: a datetime, or `YYYY-MM-DD` (end of that day in `timezone`, else UTC); `start_date > end_date` is 400 */
                end_date?: string;
                /** @description Embed the linked schedule when the caller may read it (their own), else `null` */
                include_schedule?: boolean;
                /** @description Embed the linked todo when the caller may read it (their own), else `null` */
                include_todo?: boolean;
                /** @description `none` (default, `tags: []`), `timer_only`, `inherit_from_schedule` (own ∪ the schedule's, or the todo's when there is no schedule) */
                tag_include_mode?: string;
                /** @description `UTC`, `Z`, an offset (`+09:00`, `+0900`, `+9`) or an IANA name (`Asia/Seoul`); without it datetimes are naive UTC */
                timezone?: string;
                /** @description Page size, 1 to 200, default 50 */
                limit?: number;
                /** @description The `X-Next-Cursor` of the previous page */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page, newest first */
            200: {
                headers: {
                    /** @description Cursor of the next page; absent on the last page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TimerDto"][];
                };
            };
            /** @description `INVALID_PARAMETER` naming the parameter, or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    get_active_timer: {
        parameters: {
            query?: {
                /** @description Embed the linked schedule */
                include_schedule?: boolean;
                /** @description Embed the linked todo */
                include_todo?: boolean;
                /** @description `none`, `timer_only`, `inherit_from_schedule` */
                tag_include_mode?: string;
                /** @description How datetimes are written */
                timezone?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The newest active timer */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TimerDto"];
                };
            };
            /** @description `INVALID_PARAMETER` or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `NO_ACTIVE_TIMER` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    get_timer: {
        parameters: {
            query?: {
                /** @description Embed the linked schedule when readable */
                include_schedule?: boolean;
                /** @description Embed the linked todo when readable */
                include_todo?: boolean;
                /** @description `none`, `timer_only`, `inherit_from_schedule` */
                tag_include_mode?: string;
                /** @description How datetimes are written */
                timezone?: string;
            };
            header?: never;
            path: {
                /** @description The timer's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The timer; `is_shared` is true when the caller is not the owner */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TimerDto"];
                };
            };
            /** @description `INVALID_PARAMETER` (e.g. a malformed id) or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `TIMER_NOT_FOUND`: missing, or not readable by the caller */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    delete_timer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The timer's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted; the owner's connections get `timer.deleted{timer_id}` */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `INVALID_PARAMETER` (malformed id) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `TIMER_NOT_FOUND` (missing or not the caller's) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    update_timer: {
        parameters: {
            query?: {
                /** @description How datetimes of the answer are written */
                timezone?: string;
            };
            header?: never;
            path: {
                /** @description The timer's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PatchTimerRequest"];
            };
        };
        responses: {
            /** @description The timer as stored. A change bumps `version` and sends `timer.updated{action:"update"}` to the owner's connections; a PATCH that changes nothing does neither. Making a RUNNING or PAUSED `friends`/`public` timer `private` also sends `timer.friend_activity{action:"hidden"}` to the owner's online friends */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TimerDto"];
                };
            };
            /** @description `INVALID_PARAMETER` (malformed id) or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `TIMER_NOT_FOUND` (missing or not the caller's), `SCHEDULE_NOT_FOUND`, `TODO_NOT_FOUND`, `TAG_NOT_FOUND` (a link that is unknown or another user's) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `PAYLOAD_TOO_LARGE` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `VALIDATION_FAILED` naming the field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    list_todos: {
        parameters: {
            query?: {
                /** @description How datetimes are written */
                timezone?: string;
                /** @description Page size, 1 to 100, default 50 */
                limit?: number;
                /** @description The `X-Next-Cursor` of the previous page */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page, newest first */
            200: {
                headers: {
                    /** @description Cursor of the next page; absent on the last page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TodoDto"][];
                };
            };
            /** @description `INVALID_PARAMETER` or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    create_todo: {
        parameters: {
            query?: {
                /** @description How datetimes of the answer are written */
                timezone?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTodoRequest"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TodoDto"];
                };
            };
            /** @description `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `TAG_NOT_FOUND`: a tag that is unknown or another user's */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `PAYLOAD_TOO_LARGE` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `VALIDATION_FAILED` naming the field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    get_todo: {
        parameters: {
            query?: {
                /** @description How datetimes are written */
                timezone?: string;
            };
            header?: never;
            path: {
                /** @description The todo's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The todo */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TodoDto"];
                };
            };
            /** @description `INVALID_PARAMETER` (malformed id) or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `TODO_NOT_FOUND` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    delete_todo: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The todo's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted; its timers now have `todo_id: null`, `version` + 1, and are announced with `timer.updated{action:"update"}` */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `INVALID_PARAMETER` (malformed id) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `TODO_NOT_FOUND` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    update_todo: {
        parameters: {
            query?: {
                /** @description How datetimes of the answer are written */
                timezone?: string;
            };
            header?: never;
            path: {
                /** @description The todo's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PatchTodoRequest"];
            };
        };
        responses: {
            /** @description The todo as stored */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TodoDto"];
                };
            };
            /** @description `INVALID_PARAMETER` (malformed id) or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `TODO_NOT_FOUND`, or `TAG_NOT_FOUND` for a foreign or unknown tag */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `PAYLOAD_TOO_LARGE` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `VALIDATION_FAILED` naming the field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    list_todo_timers: {
        parameters: {
            query?: {
                /** @description As for `GET /v1/timers` */
                status?: string[];
                /** @description As for `GET /v1/timers` */
                type?: string;
                /** @description As for `GET /v1/timers` */
                start_date?: string;
                /** @description As for `GET /v1/timers` */
                end_date?: string;
                /** @description Embed the linked schedule */
                include_schedule?: boolean;
                /** @description Embed the todo */
                include_todo?: boolean;
                /** @description `none`, `timer_only`, `inherit_from_schedule` */
                tag_include_mode?: string;
                /** @description How datetimes are written */
                timezone?: string;
                /** @description Page size, 1 to 200, default 50 */
                limit?: number;
                /** @description The `X-Next-Cursor` of the previous page */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description The todo's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page, newest first */
            200: {
                headers: {
                    /** @description Cursor of the next page; absent on the last page */
                    "X-Next-Cursor"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TimerDto"][];
                };
            };
            /** @description `INVALID_PARAMETER` or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `TODO_NOT_FOUND` (missing or not the caller's) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    get_active_todo_timer: {
        parameters: {
            query?: {
                /** @description Embed the linked schedule */
                include_schedule?: boolean;
                /** @description Embed the todo */
                include_todo?: boolean;
                /** @description `none`, `timer_only`, `inherit_from_schedule` */
                tag_include_mode?: string;
                /** @description How datetimes are written */
                timezone?: string;
            };
            header?: never;
            path: {
                /** @description The todo's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The newest RUNNING or PAUSED timer on the todo */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TimerDto"];
                };
            };
            /** @description `INVALID_PARAMETER` or `INVALID_TIMEZONE` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `UNAUTHORIZED` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description `TODO_NOT_FOUND`, or `NO_ACTIVE_TIMER` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: components["responses"]["RateLimited"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
}
