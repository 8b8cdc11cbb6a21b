// The store's schema (store.h): the SQL of every migration, in order. The
// comments in the SQL document the tables.
#ifndef LIAISON_NODE_INTERNAL_STORE_SCHEMA_H_
#define LIAISON_NODE_INTERNAL_STORE_SCHEMA_H_

namespace liaison::node::internal {

// kMigrations are applied in order, each in the same transaction as the
// schema_version row that records it. Never edit a released migration; add
// the next one.
struct Migration {
  int version;
  const char* sql;
};

inline constexpr Migration kMigrations[] = {
    {1, R"sql(
-- audit_log: the append-only, hash-chained, signed record of everything the
-- node did (audit.h, docs/audit.md). seq is 1, 2, 3, ... with no gaps;
-- JSON columns hold canonical JSON. The triggers refuse UPDATE and DELETE
-- through SQLite (an attacker with the file can drop them; the chain and
-- signatures are what detect that).
CREATE TABLE audit_log (
  seq             INTEGER PRIMARY KEY CHECK (seq >= 1),
  time            TEXT NOT NULL,
  actor           TEXT NOT NULL,
  kind            TEXT NOT NULL,
  job_id          TEXT NOT NULL,
  alliance        TEXT NOT NULL,
  peer            TEXT NOT NULL,
  question        TEXT NOT NULL,
  protocol        TEXT NOT NULL,
  params          TEXT NOT NULL,
  dataset_digests TEXT NOT NULL,
  profile_digest  TEXT NOT NULL,
  transcript_hash TEXT NOT NULL,
  result_digest   TEXT NOT NULL,
  counts          TEXT NOT NULL,
  receipt         TEXT,
  prev_hash       TEXT NOT NULL,
  hash            TEXT NOT NULL UNIQUE,
  signature       TEXT NOT NULL
);
CREATE INDEX audit_log_job ON audit_log(job_id) WHERE job_id != '';
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- api_keys: REST API keys. Only SHA-256 of the random token is kept.
CREATE TABLE api_keys (
  id        TEXT PRIMARY KEY,
  key_hash  BLOB NOT NULL UNIQUE CHECK (length(key_hash) = 32),
  scope     TEXT NOT NULL CHECK (scope IN ('admin', 'analyst', 'automation')),
  label     TEXT NOT NULL,
  created   TEXT NOT NULL,
  revoked   TEXT
);

-- jobs: one row per job, with its state machine (store.h).
CREATE TABLE jobs (
  id              TEXT PRIMARY KEY,
  idempotency_key TEXT UNIQUE,
  state           TEXT NOT NULL CHECK (state IN ('queued', 'awaiting_approval',
                    'awaiting_peer', 'running', 'succeeded', 'failed', 'refused',
                    'cancelled')),
  alliance        TEXT NOT NULL,
  peer            TEXT NOT NULL,
  question        TEXT NOT NULL,
  protocol        TEXT NOT NULL,
  params          TEXT NOT NULL,
  actor           TEXT NOT NULL,
  created         TEXT NOT NULL,
  updated         TEXT NOT NULL,
  error           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX jobs_state ON jobs(state);
CREATE INDEX jobs_peer_created ON jobs(peer, created);

-- results: a job's result, written whole in the transaction that marks the
-- job succeeded, so no half-written result is ever served.
CREATE TABLE results (
  job_id    TEXT PRIMARY KEY REFERENCES jobs(id),
  kind      TEXT NOT NULL,
  body      BLOB NOT NULL,
  digest    TEXT NOT NULL,
  num_rows  INTEGER NOT NULL CHECK (num_rows >= 0),
  created   TEXT NOT NULL
);

-- privacy_ledger: differential-privacy spending, one row per noised answer.
-- epsilon and delta are decimal text, summed exactly by the dp module.
CREATE TABLE privacy_ledger (
  id        INTEGER PRIMARY KEY,
  alliance  TEXT NOT NULL,
  peer      TEXT NOT NULL,
  dataset   TEXT NOT NULL,
  epsilon   TEXT NOT NULL,
  delta     TEXT NOT NULL,
  job_id    TEXT NOT NULL REFERENCES jobs(id),
  time      TEXT NOT NULL
);
CREATE INDEX privacy_ledger_budget ON privacy_ledger(alliance, peer, dataset);

-- item_budget: how often each peer has had a given item (by digest, never
-- the item) counted in a window, for per-item query limits.
CREATE TABLE item_budget (
  peer          TEXT NOT NULL,
  item_digest   BLOB NOT NULL CHECK (length(item_digest) = 32),
  window_start  TEXT NOT NULL,
  num_uses      INTEGER NOT NULL DEFAULT 1 CHECK (num_uses >= 1),
  PRIMARY KEY (peer, item_digest, window_start)
) WITHOUT ROWID;
)sql"},
    {2, R"sql(
-- schedule_state: per [schedules.<name>] (schedule.h), every fire time at
-- or before `through` (Unix seconds) has been handled: submitted, reported
-- missed, or before the schedule existed. last_fired / last_job_id are the
-- last run submitted. Rows of schedules removed from the config stay.
CREATE TABLE schedule_state (
  name         TEXT PRIMARY KEY,
  through      INTEGER NOT NULL,
  last_fired   INTEGER,
  last_job_id  TEXT NOT NULL DEFAULT '',
  updated      TEXT NOT NULL
);

-- webhook_outbox: one row per delivery of a notification to a webhook
-- (webhook.h). body is the JSON payload, fixed when the row is written;
-- each attempt signs it afresh. next_attempt is Unix milliseconds.
CREATE TABLE webhook_outbox (
  id            TEXT PRIMARY KEY,
  webhook       TEXT NOT NULL,
  event         TEXT NOT NULL,
  job_id        TEXT NOT NULL DEFAULT '',
  body          TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts      INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt  INTEGER NOT NULL,
  last_error    TEXT NOT NULL DEFAULT '',
  created       TEXT NOT NULL,
  finished      TEXT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox(next_attempt) WHERE state = 'pending';
)sql"},
    {3, R"sql(
-- jobs.role: whether this node asked (initiator) or answered an offer
-- (responder). Both nodes' rows for one job share its id.
ALTER TABLE jobs ADD COLUMN role TEXT NOT NULL DEFAULT 'initiator'
  CHECK (role IN ('initiator', 'responder'));
CREATE INDEX jobs_rate ON jobs(role, peer, alliance, created);
)sql"},
    {4, R"sql(
-- item_budget (node/item_budget.h): digests of our items revealed to a
-- peer in match jobs, per alliance, for max_revealed_items_per_day; the
-- version-1 table was never written, so it is replaced.
DROP TABLE item_budget;
CREATE TABLE item_budget (
  alliance      TEXT NOT NULL,
  peer          TEXT NOT NULL,
  item_digest   BLOB NOT NULL CHECK (length(item_digest) = 32),
  job_id        TEXT NOT NULL REFERENCES jobs(id),
  revealed_at   TEXT NOT NULL,
  PRIMARY KEY (alliance, peer, item_digest, job_id)
) WITHOUT ROWID;
CREATE INDEX item_budget_window ON item_budget(alliance, peer, revealed_at);
-- item_reservations: per match job admitted under an item budget, the
-- peer's announced set size and the worst case of items revealed to it
-- still reserved (set to 0 once the actual digests are in item_budget).
CREATE TABLE item_reservations (
  job_id            TEXT PRIMARY KEY REFERENCES jobs(id),
  alliance          TEXT NOT NULL,
  peer              TEXT NOT NULL,
  peer_items        INTEGER NOT NULL CHECK (peer_items >= 0),
  revealed_reserved INTEGER NOT NULL CHECK (revealed_reserved >= 0),
  time              TEXT NOT NULL
);
CREATE INDEX item_reservations_window ON item_reservations(alliance, peer, time);
)sql"},
    {5, R"sql(
-- Budgets follow the data, not the alliance or the dataset's name
-- (node/budget_keys.h): every privacy charge, item reservation and revealed
-- item records the peer's key fingerprint and our dataset's name and content
-- digest, and the ledgers sum them per (peer key, dataset name) and per
-- (peer key, content), over all alliances, and per dataset and content over
-- all peers. Rows written before keep their alliance and peer name; their
-- content is the dataset digest recorded with their job in the audit log,
-- where there is one, and their dataset (item rows) the job's. The peer's
-- fingerprint, and a content digest still missing (the dataset's as the
-- node then reads it), are filled in when the node next starts
-- (CompleteBudgetKeys). No row is dropped, so nothing spent is forgotten.
ALTER TABLE privacy_ledger ADD COLUMN peer_fingerprint TEXT NOT NULL DEFAULT '';
ALTER TABLE privacy_ledger ADD COLUMN dataset_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE item_reservations ADD COLUMN peer_fingerprint TEXT NOT NULL DEFAULT '';
ALTER TABLE item_reservations ADD COLUMN dataset TEXT NOT NULL DEFAULT '';
ALTER TABLE item_reservations ADD COLUMN dataset_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE item_budget ADD COLUMN peer_fingerprint TEXT NOT NULL DEFAULT '';
ALTER TABLE item_budget ADD COLUMN dataset TEXT NOT NULL DEFAULT '';
ALTER TABLE item_budget ADD COLUMN dataset_digest TEXT NOT NULL DEFAULT '';
-- A job's first record with a dataset digest (SQLite takes the bare column
-- from the row with the MIN).
CREATE TEMP TABLE job_content AS
  SELECT job_id, json_extract(dataset_digests, '$[0]') AS digest, MIN(seq) AS seq
  FROM audit_log WHERE job_id != '' AND json_array_length(dataset_digests) > 0
  GROUP BY job_id;
UPDATE privacy_ledger SET dataset_digest = COALESCE(
  (SELECT digest FROM job_content c WHERE c.job_id = privacy_ledger.job_id), '');
UPDATE item_reservations SET
  dataset = COALESCE((SELECT json_extract(j.params, '$.dataset') FROM jobs j
                      WHERE j.id = item_reservations.job_id), ''),
  dataset_digest = COALESCE(
    (SELECT digest FROM job_content c WHERE c.job_id = item_reservations.job_id), '');
UPDATE item_budget SET
  dataset = COALESCE((SELECT r.dataset FROM item_reservations r
                      WHERE r.job_id = item_budget.job_id), ''),
  dataset_digest = COALESCE((SELECT r.dataset_digest FROM item_reservations r
                             WHERE r.job_id = item_budget.job_id), '');
DROP TABLE job_content;
CREATE INDEX privacy_ledger_peer_dataset ON privacy_ledger(peer_fingerprint, dataset);
CREATE INDEX privacy_ledger_peer_content ON privacy_ledger(peer_fingerprint, dataset_digest);
CREATE INDEX privacy_ledger_dataset ON privacy_ledger(dataset);
CREATE INDEX privacy_ledger_content ON privacy_ledger(dataset_digest);
CREATE INDEX privacy_ledger_job ON privacy_ledger(job_id);
CREATE INDEX item_reservations_dataset ON item_reservations(dataset, time);
CREATE INDEX item_reservations_content ON item_reservations(dataset_digest, time);
CREATE INDEX item_budget_dataset ON item_budget(dataset, revealed_at);
CREATE INDEX item_budget_content ON item_budget(dataset_digest, revealed_at);
)sql"},
    {6, R"sql(
-- audit_log.build, audit_log.peer_build: the build digests (sha256:<hex> of
-- the executable) of the liaison that wrote a record and of the job's peer,
-- as it announced it (audit format version 2). NULL in records written
-- before, whose bodies (version 1) have neither field.
ALTER TABLE audit_log ADD COLUMN build TEXT;
ALTER TABLE audit_log ADD COLUMN peer_build TEXT;
)sql"},
    {7, R"sql(
-- jobs.request_key: the Idempotency-Key of the request that created a job,
-- unique per actor (the API key, or the schedule, that submitted it), so
-- one key's requests never return another key's job. It replaces
-- jobs.idempotency_key (unique over all actors), whose values move here and
-- which is NULL from now on.
ALTER TABLE jobs ADD COLUMN request_key TEXT;
UPDATE jobs SET request_key = idempotency_key, idempotency_key = NULL
  WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX jobs_request_key ON jobs(actor, request_key)
  WHERE request_key IS NOT NULL;

-- api_keys.last_used: when the key last authenticated a request, to the
-- minute (written at most once a minute per key); NULL if never.
ALTER TABLE api_keys ADD COLUMN last_used TEXT;
)sql"},
};

}  // namespace liaison::node::internal

#endif  // LIAISON_NODE_INTERNAL_STORE_SCHEMA_H_
