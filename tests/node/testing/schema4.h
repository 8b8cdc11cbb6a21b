// Schema-4 ledgers: what the privacy ledger and item budget tables looked
// like before schema version 5 keyed them on the peer's key and the
// dataset's content, to test that upgrading a store carries every row over.
#ifndef LIAISON_TESTS_NODE_TESTING_SCHEMA4_H_
#define LIAISON_TESTS_NODE_TESTING_SCHEMA4_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "crypto/hash.h"
#include "net/identity.h"
#include "node/audit.h"
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

// Schema4AuditLog re-signs, with `node`'s key, the audit records of a store
// MakeSchema4 turned back, as the version-1 records (no build) version 4
// wrote: dropping the build columns changed their content, and a node
// refuses to start on a log whose records no longer verify.
inline void Schema4AuditLog(RawDb& db, const net::Identity& node) {
  using Json = nlohmann::json;
  const std::string trigger =
      db.QueryText("SELECT sql FROM sqlite_master WHERE name = 'audit_log_no_update'");
  db.Exec("DROP TRIGGER audit_log_no_update");
  const int num_records = std::stoi(db.QueryText("SELECT COUNT(*) FROM audit_log"));
  std::string prev = kGenesisHash;
  for (int seq = 1; seq <= num_records; ++seq) {
    auto column = [&](const std::string& name) {
      return db.QueryText("SELECT " + name + " FROM audit_log WHERE seq = " +
                          std::to_string(seq));
    };
    AuditRecord r;
    r.v = 1;
    r.seq = static_cast<uint64_t>(seq);
    r.time = column("time");
    r.kind = column("kind");
    r.actor = column("actor");
    r.job_id = column("job_id");
    r.alliance = column("alliance");
    r.peer = column("peer");
    r.question = column("question");
    r.protocol = column("protocol");
    r.params_json = column("params");
    r.dataset_digests = Json::parse(column("dataset_digests")).get<std::vector<std::string>>();
    r.counts = Json::parse(column("counts")).get<std::map<std::string, int64_t>>();
    if (column("receipt IS NOT NULL") == "1") {
      auto receipt = ParseReceiptJson(column("receipt"));
      ASSERT_TRUE(receipt.ok()) << receipt.status();
      r.receipt = *receipt;
    }
    r.profile_digest = column("profile_digest");
    r.transcript_hash = column("transcript_hash");
    r.result_digest = column("result_digest");
    r.prev_hash = prev;
    auto body = AuditBody(r);
    ASSERT_TRUE(body.ok()) << body.status();
    const std::string hash = ToHex(crypto::Sha256(AsBytes(*body)));
    auto sig = node.Sign(AsBytes(AuditSignedMessage(hash)));
    ASSERT_TRUE(sig.ok()) << sig.status();
    db.Exec("UPDATE audit_log SET prev_hash = '" + prev + "', hash = '" + hash +
            "', signature = '" + ToHex(*sig) + "' WHERE seq = " + std::to_string(seq));
    prev = hash;
  }
  db.Exec(trigger);
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
