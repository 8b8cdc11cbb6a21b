#include "node/item_budget.h"

#include <algorithm>
#include <chrono>

#include "base/status.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "node/internal/util.h"

namespace liaison::node {
namespace {

constexpr char kItemDigestContext[] = "liaison-item-budget-v1\n";

// WindowStart is 24 hours before the store's clock.
std::string WindowStart(const internal::Db& db) {
  return internal::Rfc3339At(db.clock().Now() - std::chrono::hours(24));
}

// Scope is one budget: a peer's (or, with an empty fingerprint, all peers')
// use of a dataset by name or of a content.
struct Scope {
  std::string peer_fingerprint;
  bool by_content = false;
  std::string value;  // the dataset's name or the content digest
  std::string what;   // for a person
};

// Where is the SQL condition selecting `scope`'s rows; ?1 and ?2 are bound
// by Bind.
std::string Where(const Scope& scope) {
  return StrCat(scope.by_content ? "dataset_digest" : "dataset", " = ?1",
                scope.peer_fingerprint.empty() ? "" : " AND peer_fingerprint = ?2");
}

absl::StatusOr<int64_t> Count(internal::Db& db, const std::string& sql, const Scope& scope,
                              const std::string& since) {
  LIAISON_ASSIGN_OR_RETURN(internal::Stmt st, db.Prepare(sql));
  st.Bind(1, scope.value).Bind(3, since);
  if (!scope.peer_fingerprint.empty()) st.Bind(2, scope.peer_fingerprint);
  LIAISON_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : 0;
}

void Tighten(uint64_t& limit, uint64_t candidate) {
  if (candidate > 0 && (limit == 0 || candidate < limit)) limit = candidate;
}

}  // namespace

ItemLimits ItemLimitsFor(const Config& config, std::string_view peer, std::string_view dataset) {
  ItemLimits l;
  for (const auto& [name, alliance] : config.alliances) {
    if (!GrantsDataset(alliance, peer, dataset)) continue;
    Tighten(l.peer_items_per_day, alliance.max_peer_items_per_day);
    Tighten(l.revealed_items_per_day, alliance.max_revealed_items_per_day);
  }
  auto ds = config.datasets.find(std::string(dataset));
  if (ds != config.datasets.end()) {
    l.global_peer_items_per_day = ds->second.global_max_peer_items_per_day;
    l.global_revealed_items_per_day = ds->second.global_max_revealed_items_per_day;
  }
  return l;
}

bool ItemBudgetApplies(const ItemLimits& l) {
  return l.peer_items_per_day > 0 || l.revealed_items_per_day > 0 ||
         l.global_peer_items_per_day > 0 || l.global_revealed_items_per_day > 0;
}

absl::Status ReserveItemsIn(internal::Db& db, const ItemLimits& limits, const BudgetKey& key,
                            std::string_view job_id, uint64_t peer_items,
                            uint64_t revealed_worst) {
  if (key.peer_fingerprint.empty() || key.dataset.empty()) {
    return absl::InternalError("an item reservation needs the peer's key and the dataset");
  }
  const std::string since = WindowStart(db);
  // Each limit applies to the dataset's name and, when it is known, to its
  // content: the same items under another name share the budget.
  auto scopes = [&](bool global) {
    const std::string fp = global ? "" : key.peer_fingerprint;
    const std::string whose =
        global ? "global item budget of " : StrCat("item budget of peer ", key.peer, " for ");
    std::vector<Scope> out = {
        {fp, false, key.dataset,
         StrCat(whose, "dataset ", key.dataset,
                global ? " (all peers together)" : " (all alliances together)")}};
    if (!key.dataset_digest.empty()) {
      out.push_back({fp, true, key.dataset_digest,
                     StrCat(whose, "the content of dataset ", key.dataset,
                            global ? " (all peers together, under any dataset name)"
                                   : " (the same items under any dataset name)")});
    }
    return out;
  };
  struct Limit {
    uint64_t max;
    bool global;
    const char* name;
  };
  for (const Limit& l : {Limit{limits.peer_items_per_day, false, "max_peer_items_per_day"},
                         Limit{limits.global_peer_items_per_day, true,
                               "global_max_peer_items_per_day"}}) {
    if (l.max == 0) continue;
    for (const Scope& s : scopes(l.global)) {
      LIAISON_ASSIGN_OR_RETURN(
          int64_t used, Count(db,
                              StrCat("SELECT COALESCE(SUM(peer_items), 0) FROM item_reservations "
                                     "WHERE ", Where(s), " AND time >= ?3"),
                              s, since));
      if (static_cast<uint64_t>(used) + peer_items > l.max) {
        return absl::ResourceExhaustedError(
            StrCat(s.what, ": ", l.name, " is ", l.max, "; ", used,
                   " items announced in the last 24 hours; this job announces ", peer_items));
      }
    }
  }
  for (const Limit& l : {Limit{limits.revealed_items_per_day, false, "max_revealed_items_per_day"},
                         Limit{limits.global_revealed_items_per_day, true,
                               "global_max_revealed_items_per_day"}}) {
    if (l.max == 0 || revealed_worst == 0) continue;
    for (const Scope& s : scopes(l.global)) {
      LIAISON_ASSIGN_OR_RETURN(
          int64_t revealed,
          Count(db,
                StrCat("SELECT count(DISTINCT item_digest) FROM item_budget WHERE ", Where(s),
                       " AND revealed_at >= ?3"),
                s, since));
      LIAISON_ASSIGN_OR_RETURN(
          int64_t reserved,
          Count(db,
                StrCat("SELECT COALESCE(SUM(revealed_reserved), 0) FROM item_reservations "
                       "WHERE ", Where(s), " AND time >= ?3"),
                s, since));
      const uint64_t used = static_cast<uint64_t>(revealed + reserved);
      if (used + revealed_worst > l.max) {
        return absl::ResourceExhaustedError(StrCat(
            s.what, ": ", l.name, " is ", l.max, "; ", used,
            " items of ours revealed or reserved in the last 24 hours; this job may reveal up "
            "to ",
            revealed_worst));
      }
    }
  }
  LIAISON_ASSIGN_OR_RETURN(
      internal::Stmt ins,
      db.Prepare("INSERT INTO item_reservations (job_id, alliance, peer, peer_items, "
                 "revealed_reserved, time, peer_fingerprint, dataset, dataset_digest) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  ins.Bind(1, job_id)
      .Bind(2, key.alliance)
      .Bind(3, key.peer)
      .Bind(4, static_cast<int64_t>(peer_items))
      .Bind(5, static_cast<int64_t>(revealed_worst))
      .Bind(6, db.NowRfc3339())
      .Bind(7, key.peer_fingerprint)
      .Bind(8, key.dataset)
      .Bind(9, key.dataset_digest);
  return ins.Run();
}

absl::Status RecordRevealedIn(internal::Db& db, std::string_view job_id,
                              const std::vector<const std::string*>& revealed_keys) {
  LIAISON_ASSIGN_OR_RETURN(
      internal::Stmt sel,
      db.Prepare("SELECT alliance, peer, peer_fingerprint, dataset, dataset_digest "
                 "FROM item_reservations WHERE job_id = ?1"));
  sel.Bind(1, job_id);
  LIAISON_ASSIGN_OR_RETURN(bool row, sel.Step());
  if (!row) return absl::OkStatus();
  const std::string alliance = sel.Text(0), peer = sel.Text(1), fingerprint = sel.Text(2),
                    dataset = sel.Text(3), digest = sel.Text(4);
  sel.Reset();
  const std::string now = db.NowRfc3339();
  LIAISON_ASSIGN_OR_RETURN(
      internal::Stmt ins,
      db.Prepare("INSERT OR IGNORE INTO item_budget (alliance, peer, item_digest, job_id, "
                 "revealed_at, peer_fingerprint, dataset, dataset_digest) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  for (const std::string* key : revealed_keys) {
    crypto::Sha256Hasher h;
    h.Update(kItemDigestContext);
    h.Update(*key);
    crypto::Digest256 d = h.Finish();
    ins.Bind(1, alliance).Bind(2, peer).BindBlob(3, ByteSpan(d.data(), d.size()))
        .Bind(4, job_id).Bind(5, now).Bind(6, fingerprint).Bind(7, dataset).Bind(8, digest);
    LIAISON_RETURN_IF_ERROR(ins.Run());
    ins.Reset();
  }
  LIAISON_ASSIGN_OR_RETURN(
      internal::Stmt upd,
      db.Prepare("UPDATE item_reservations SET revealed_reserved = 0 WHERE job_id = ?1"));
  upd.Bind(1, job_id);
  return upd.Run();
}

}  // namespace liaison::node
