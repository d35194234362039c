DROP TABLE follow_notifications;
DROP TABLE follows;
DROP TABLE users;
