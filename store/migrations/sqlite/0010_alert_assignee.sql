-- Who works an alert (a user name).
ALTER TABLE alerts ADD COLUMN assignee TEXT;
