//! NATS subject names and message ids for the ports' per-user subjects.

use hourglass_ports::bus::Subject;

/// Names subjects under one prefix: `<prefix>.u.<user>.t` and `<prefix>.u.<user>.n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectNames {
    prefix: String,
}

impl SubjectNames {
    /// Subjects under `prefix`.
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// The NATS subject of `subject`.
    pub fn subject(&self, subject: Subject) -> String {
        format!("{}.u.{subject}", self.prefix)
    }

    /// What the stream takes: every user subject under the prefix.
    pub fn stream_filter(&self) -> String {
        format!("{}.u.>", self.prefix)
    }
}

/// The `Nats-Msg-Id` of outbox row `id` on `subject`: `<id>.<user>.<t|n>`. Dedupe is per stream,
/// so a message published on two subjects needs one id per subject.
pub fn message_id(id: i64, subject: Subject) -> String {
    format!("{id}.{subject}")
}

/// The outbox id a [`message_id`] starts with.
pub fn outbox_id(message_id: &str) -> Option<i64> {
    message_id.split('.').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use hourglass_domain::ids::UserId;

    use super::*;

    #[test]
    fn subjects_carry_the_prefix_the_user_and_the_topic() {
        let names = SubjectNames::new("hg");
        assert_eq!(names.subject(Subject::timers(UserId::new(42))), "hg.u.42.t");
        assert_eq!(
            names.subject(Subject::notifications(UserId::new(7))),
            "hg.u.7.n"
        );
        assert_eq!(names.stream_filter(), "hg.u.>");
    }

    #[test]
    fn message_ids_differ_per_subject_and_give_back_the_outbox_id() {
        let user = UserId::new(9);
        let t = message_id(123, Subject::timers(user));
        let n = message_id(123, Subject::notifications(user));
        assert_eq!(t, "123.9.t");
        assert_ne!(t, n);
        assert_eq!(outbox_id(&t), Some(123));
        assert_eq!(outbox_id(&n), Some(123));
        assert_eq!(outbox_id("x.9.t"), None);
    }
}
