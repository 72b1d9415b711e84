-- One relay writes each log that several relays serve (docs/scaling.md, "One writer
-- per log"): the others send it their clients' batches. A row names the relay that
-- writes the log now and where other relays reach it. It only routes writes: every
-- write still takes the log's advisory lock, so two relays that both believe they
-- write a log (a row changed under one of them) take turns, as before this table.
CREATE TABLE forkline_writers (
  log_id text COLLATE "C" NOT NULL PRIMARY KEY,
  -- The writing relay process's id, new at each start: a row left by a relay that
  -- died names no relay that answers to it.
  relay text NOT NULL,
  peer_url text NOT NULL
);

-- The key relays prove to each other that they share this database with (HMAC of
-- each other's nonces): a batch sent to a log's writer is taken on the sending
-- relay's word that its client may write the log. One row, made at a relay's first
-- start. Not keyed by log: a distributed database keeps it as a reference table.
CREATE TABLE forkline_cluster (
  id integer PRIMARY KEY CHECK (id = 1),
  peer_key bytea NOT NULL
);
