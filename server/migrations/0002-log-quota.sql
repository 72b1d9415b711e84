-- What each log holds, kept in the transaction that stores its events, so that a
-- relay checks the log's quota (RelayOptions.maxLogEvents, maxLogBytes) without
-- counting rows.
ALTER TABLE forkline_logs
  ADD COLUMN events bigint NOT NULL DEFAULT 0,
  ADD COLUMN bytes bigint NOT NULL DEFAULT 0;
