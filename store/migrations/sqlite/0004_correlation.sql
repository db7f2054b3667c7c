-- Correlation alerts: what the correlation rule saw (type, group-by values,
-- aggregate, window, and the seqs of the events that made it fire) as a
-- JSON document; NULL for a detection rule's alert. Idempotency stays on
-- (rule_id, event_seq): a correlation alert's event_seq is the event that
-- completed it, which a replay after a crash completes again.
ALTER TABLE alerts ADD COLUMN correlation TEXT;
