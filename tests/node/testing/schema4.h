// Schema-4 ledgers: what the privacy ledger and item budget tables looked
// like before schema version 5 keyed them on the peer's key and the
// dataset's content, to test that upgrading a store carries every row over.
#ifndef LIAISON_TESTS_NODE_TESTING_SCHEMA4_H_
#define LIAISON_TESTS_NODE_TESTING_SCHEMA4_H_

#include <string>

#include "node/testing/raw_db.h"

namespace liaison::node::testing {

// MakeSchema4 turns a store at schema version 7 back into version 4: jobs
// lose version 7's request_key and API keys its last_used, the audit log
// version 6's build columns, and the
// three tables version 5 changed are replaced by their version-4 form
// (empty) and version 5 is no longer recorded. The other tables are alike
// in both versions, so the result is a store as version 4 wrote it.
inline void MakeSchema4(RawDb& db) {
  db.Exec(R"sql(
DROP TABLE privacy_ledger;
DROP TABLE item_budget;
DROP TABLE item_reservations;
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
CREATE TABLE item_budget (
  alliance      TEXT NOT NULL,
  peer          TEXT NOT NULL,
  item_digest   BLOB NOT NULL CHECK (length(item_digest) = 32),
  job_id        TEXT NOT NULL REFERENCES jobs(id),
  revealed_at   TEXT NOT NULL,
  PRIMARY KEY (alliance, peer, item_digest, job_id)
) WITHOUT ROWID;
CREATE INDEX item_budget_window ON item_budget(alliance, peer, revealed_at);
CREATE TABLE item_reservations (
  job_id            TEXT PRIMARY KEY REFERENCES jobs(id),
  alliance          TEXT NOT NULL,
  peer              TEXT NOT NULL,
  peer_items        INTEGER NOT NULL CHECK (peer_items >= 0),
  revealed_reserved INTEGER NOT NULL CHECK (revealed_reserved >= 0),
  time              TEXT NOT NULL
);
CREATE INDEX item_reservations_window ON item_reservations(alliance, peer, time);
ALTER TABLE audit_log DROP COLUMN build;
ALTER TABLE audit_log DROP COLUMN peer_build;
DROP INDEX jobs_request_key;
ALTER TABLE jobs DROP COLUMN request_key;
ALTER TABLE api_keys DROP COLUMN last_used;
DELETE FROM schema_version WHERE version >= 5;
)sql");
}

// Schema4Charge inserts a version-4 privacy ledger row.
inline void Schema4Charge(RawDb& db, const std::string& alliance, const std::string& peer,
                          const std::string& dataset, const std::string& epsilon,
                          const std::string& job_id) {
  db.Exec("INSERT INTO privacy_ledger (alliance, peer, dataset, epsilon, delta, job_id, time) "
          "VALUES ('" + alliance + "', '" + peer + "', '" + dataset + "', '" + epsilon +
          "', '0', '" + job_id + "', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
}

}  // namespace liaison::node::testing

#endif  // LIAISON_TESTS_NODE_TESTING_SCHEMA4_H_
