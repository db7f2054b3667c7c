-- The account an alert is about (its event's user.name), for the queue's
-- user filter.
ALTER TABLE alerts ADD COLUMN user_name TEXT;
CREATE INDEX alerts_user ON alerts (user_name, created);
