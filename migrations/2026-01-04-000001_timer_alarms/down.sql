DROP TABLE timer_alarms;
