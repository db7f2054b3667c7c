-- A user's chosen console language (en, vi); NULL: from the browser.
ALTER TABLE users ADD COLUMN lang TEXT;
