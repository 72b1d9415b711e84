-- forkline's relay logs in PostgreSQL (docs/scaling.md). Every table is keyed by
-- log id first and no query spans logs: the schema distributes by log_id unchanged.
-- Text that is compared or ordered (ids, HLCs, stream names, actors) is COLLATE "C":
-- canonical order is (hlc, id) by code unit, never by a locale's rules.

CREATE TABLE forkline_logs (
  log_id text COLLATE "C" NOT NULL PRIMARY KEY,
  -- SHA-256 of the log's token: the token itself is never stored.
  token_hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE forkline_events (
  log_id text COLLATE "C" NOT NULL,
  pos bigint NOT NULL,
  id text COLLATE "C" NOT NULL,
  stream text COLLATE "C" NOT NULL,
  actor text COLLATE "C" NOT NULL,
  seq bigint NOT NULL,
  hlc text COLLATE "C" NOT NULL,
  recorded_at bigint NOT NULL,
  gen bigint NOT NULL,
  -- The event as its CloudEvent JSON text (the export and sync format).
  body text NOT NULL,
  PRIMARY KEY (log_id, pos),
  UNIQUE (log_id, id),
  UNIQUE (log_id, actor, seq)
);
-- A stream in canonical order.
CREATE INDEX forkline_events_canonical ON forkline_events (log_id, stream, hlc, id);
-- A stream in arrival order, from a position.
CREATE INDEX forkline_events_stream_pos ON forkline_events (log_id, stream, pos);

CREATE TABLE forkline_streams (
  log_id text COLLATE "C" NOT NULL,
  stream text COLLATE "C" NOT NULL,
  heads text[] COLLATE "C" NOT NULL,
  size bigint NOT NULL,
  PRIMARY KEY (log_id, stream)
);

CREATE TABLE forkline_actors (
  log_id text COLLATE "C" NOT NULL,
  actor text COLLATE "C" NOT NULL,
  seq bigint NOT NULL,
  PRIMARY KEY (log_id, actor)
);

CREATE TABLE forkline_replicas (
  log_id text COLLATE "C" NOT NULL PRIMARY KEY,
  hlc text COLLATE "C" NOT NULL,
  last_pos bigint NOT NULL,
  actor text,
  conflict_index integer
);

CREATE TABLE forkline_conflicts (
  log_id text COLLATE "C" NOT NULL,
  stream text COLLATE "C" NOT NULL,
  hlc text COLLATE "C" NOT NULL,
  resolved_by text COLLATE "C" NOT NULL,
  events text[] NOT NULL,
  fork_point text[] NOT NULL,
  PRIMARY KEY (log_id, stream, hlc, resolved_by)
);

CREATE TABLE forkline_snapshots (
  log_id text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  -- The snapshot record, structured-clone serialised (node:v8): a cache.
  record bytea NOT NULL,
  PRIMARY KEY (log_id, key)
);
