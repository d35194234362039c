DROP TABLE meetup_participants;
DROP TABLE meetups;
DROP TABLE notifications;
