DROP TABLE todo_tags;
DROP TABLE schedule_tags;
DROP TABLE timer_tags;
DROP TABLE timers;
DROP TABLE tags;
DROP TABLE todos;
DROP TABLE schedules;
