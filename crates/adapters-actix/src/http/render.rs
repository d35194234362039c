//! Timers as REST writes them: what to embed (`include_schedule`, `include_todo`,
//! `tag_include_mode`), loaded for a whole page at once, then rendered with the clock's "now".
//!
//! Embeds are fetched with `find_many` in a bounded number of queries per response — one for
//! schedules, one for todos, and one for tags per distinct timer owner on the page — never one
//! per timer. Schedules and todos are owner-scoped and only the viewer's own are looked up: a
//! friend's schedule or todo is not readable, so it embeds as `null`, and a friend's timer in
//! `inherit_from_schedule` mode carries only its own tags. A timer's own tags belong to the
//! timer and are shown to whoever may read the timer.
//!
//! `now` is taken once per response, after the timers were read, so every RUNNING timer of a page
//! shows its elapsed time as of the same instant, and nothing is written.

use std::collections::{HashMap, HashSet};

use hourglass_domain::ids::{ScheduleId, TagId, TodoId, UserId};
use hourglass_domain::planning::{Schedule, Tag, Todo};
use hourglass_domain::timer::Timer;

use crate::edge::dto::{TimerDto, TimerEmbeds};
use crate::edge::error::ApiError;
use crate::edge::query::{QueryError, QueryParams};
use crate::edge::timezone::RenderZone;
use crate::state::AppState;

/// Which tags a timer response lists (`tag_include_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TagMode {
    /// `none`: `tags: []`.
    #[default]
    None,
    /// `timer_only`: the timer's own tags.
    TimerOnly,
    /// `inherit_from_schedule`: own ∪ the schedule's, or the todo's when there is no schedule.
    InheritFromSchedule,
}

impl TagMode {
    /// The accepted values, for messages and the OpenAPI description.
    pub const ALLOWED: &'static str = "none, timer_only, inherit_from_schedule";

    /// Case-insensitive.
    pub fn parse(raw: &str) -> Option<Self> {
        [
            ("none", Self::None),
            ("timer_only", Self::TimerOnly),
            ("inherit_from_schedule", Self::InheritFromSchedule),
        ]
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(raw))
        .map(|(_, mode)| mode)
    }
}

/// How timers of one response are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ViewOptions {
    /// Embed the linked schedule when readable.
    pub include_schedule: bool,
    /// Embed the linked todo when readable.
    pub include_todo: bool,
    /// Which tags to list.
    pub tags: TagMode,
    /// How datetimes are written.
    pub zone: RenderZone,
}

impl ViewOptions {
    /// Reads `include_schedule`, `include_todo`, `tag_include_mode` and `timezone`.
    ///
    /// # Errors
    /// [`QueryError`] naming the parameter.
    pub fn from_query(params: &QueryParams) -> Result<Self, QueryError> {
        Ok(Self {
            include_schedule: params.flag("include_schedule")?,
            include_todo: params.flag("include_todo")?,
            tags: params
                .enum_value("tag_include_mode", TagMode::ALLOWED, TagMode::parse)?
                .unwrap_or_default(),
            zone: params.timezone()?,
        })
    }
}

/// Renders `timers` for `viewer`, loading what `options` asks to embed.
///
/// # Errors
/// 503/500 when the embeds cannot be loaded.
pub async fn render_timers(
    state: &AppState,
    viewer: UserId,
    timers: &[Timer],
    options: &ViewOptions,
) -> Result<Vec<TimerDto>, ApiError> {
    let own = || timers.iter().filter(|t| t.owner_id() == viewer);
    let inherit = options.tags == TagMode::InheritFromSchedule;

    // Schedules: embedded, or the source of inherited tags.
    let schedule_ids: Vec<ScheduleId> = if options.include_schedule || inherit {
        distinct(own().filter_map(Timer::schedule_id))
    } else {
        Vec::new()
    };
    let schedules: HashMap<ScheduleId, Schedule> = state
        .planning
        .schedules_by_id(viewer, &schedule_ids)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();

    // Todos: embedded, or the source of inherited tags when a timer has no schedule.
    let todo_ids: Vec<TodoId> = distinct(own().filter_map(|t| {
        let wanted = options.include_todo || (inherit && t.schedule_id().is_none());
        t.todo_id().filter(|_| wanted)
    }));
    let todos: HashMap<TodoId, Todo> = state
        .planning
        .todos_by_id(viewer, &todo_ids)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();

    // Tag ids each timer lists, in order: its own, then the inherited ones it lacks.
    let tag_lists: Vec<Vec<TagId>> = timers
        .iter()
        .map(|timer| wanted_tags(timer, options.tags, &schedules, &todos))
        .collect();
    let tags = load_tags(state, timers, &tag_lists).await?;

    let now = state.clock.now();
    Ok(timers
        .iter()
        .zip(&tag_lists)
        .map(|(timer, tag_ids)| {
            let listed: Vec<&Tag> = tag_ids
                .iter()
                .filter_map(|id| tags.get(&(timer.owner_id(), *id)))
                .collect();
            let embeds = TimerEmbeds {
                schedule: timer
                    .schedule_id()
                    .filter(|_| options.include_schedule)
                    .and_then(|id| schedules.get(&id)),
                todo: timer
                    .todo_id()
                    .filter(|_| options.include_todo)
                    .and_then(|id| todos.get(&id)),
                tags: &listed,
            };
            TimerDto::render(timer, viewer, now, &options.zone, embeds)
        })
        .collect())
}

/// Renders one timer (single-timer and `/active` endpoints).
///
/// # Errors
/// As [`render_timers`].
pub async fn render_timer(
    state: &AppState,
    viewer: UserId,
    timer: &Timer,
    options: &ViewOptions,
) -> Result<TimerDto, ApiError> {
    let mut rendered = render_timers(state, viewer, std::slice::from_ref(timer), options).await?;
    rendered.pop().ok_or_else(|| {
        ApiError::internal(&std::io::Error::other("rendering one timer produced none"))
    })
}

/// The tag ids `timer` lists under `mode`. `schedules` and `todos` hold only the viewer's own
/// objects, so a friend's timer never inherits anything.
fn wanted_tags(
    timer: &Timer,
    mode: TagMode,
    schedules: &HashMap<ScheduleId, Schedule>,
    todos: &HashMap<TodoId, Todo>,
) -> Vec<TagId> {
    let mut ids: Vec<TagId> = match mode {
        TagMode::None => return Vec::new(),
        TagMode::TimerOnly | TagMode::InheritFromSchedule => timer.tag_ids().to_vec(),
    };
    if mode == TagMode::InheritFromSchedule {
        let inherited = match timer.schedule_id() {
            Some(schedule) => schedules.get(&schedule).map(|s| s.tag_ids.as_slice()),
            None => timer
                .todo_id()
                .and_then(|todo| todos.get(&todo))
                .map(|t| t.tag_ids.as_slice()),
        };
        for id in inherited.unwrap_or_default() {
            if !ids.contains(id) {
                ids.push(*id);
            }
        }
    }
    ids
}

/// Loads every listed tag, one query per distinct timer owner (tags are owner-scoped).
async fn load_tags(
    state: &AppState,
    timers: &[Timer],
    tag_lists: &[Vec<TagId>],
) -> Result<HashMap<(UserId, TagId), Tag>, ApiError> {
    let mut by_owner: HashMap<UserId, Vec<TagId>> = HashMap::new();
    for (timer, ids) in timers.iter().zip(tag_lists) {
        by_owner
            .entry(timer.owner_id())
            .or_default()
            .extend(ids.iter().copied());
    }
    let mut tags = HashMap::new();
    for (owner, ids) in by_owner {
        let ids = distinct(ids.into_iter());
        if ids.is_empty() {
            continue;
        }
        for tag in state.planning.tags_by_id(owner, &ids).await? {
            tags.insert((owner, tag.id), tag);
        }
    }
    Ok(tags)
}

/// The items in first-seen order, each once.
fn distinct<T: Copy + Eq + std::hash::Hash>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = HashSet::new();
    items.filter(|item| seen.insert(*item)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_modes_parse_case_insensitively() {
        assert_eq!(TagMode::parse("NONE"), Some(TagMode::None));
        assert_eq!(TagMode::parse("timer_only"), Some(TagMode::TimerOnly));
        assert_eq!(
            TagMode::parse("Inherit_From_Schedule"),
            Some(TagMode::InheritFromSchedule)
        );
        assert_eq!(TagMode::parse("all"), None);
    }

    #[test]
    fn view_options_default_to_nothing_embedded() -> Result<(), QueryError> {
        let options = ViewOptions::from_query(&QueryParams::parse(""))?;
        assert_eq!(options, ViewOptions::default());
        let options = ViewOptions::from_query(&QueryParams::parse(
            "include_schedule=true&include_todo=1&tag_include_mode=timer_only&timezone=UTC",
        ))?;
        assert!(options.include_schedule && options.include_todo);
        assert_eq!(options.tags, TagMode::TimerOnly);
        Ok(())
    }

    #[test]
    fn an_unknown_tag_mode_names_the_parameter() {
        let Err(error) = ViewOptions::from_query(&QueryParams::parse("tag_include_mode=all"))
        else {
            panic!("must be refused")
        };
        assert!(
            error
                .to_string()
                .starts_with("tag_include_mode must be one of"),
            "{error}"
        );
    }
}
