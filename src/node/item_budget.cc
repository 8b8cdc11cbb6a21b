#include "node/item_budget.h"

#include <chrono>

#include "base/status.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "node/internal/util.h"

namespace liaison::node {
namespace {

constexpr char kItemDigestContext[] = "liaison-item-budget-v1\n";

std::string WindowStart() {
  return internal::Rfc3339At(std::chrono::system_clock::now() - std::chrono::hours(24));
}

absl::StatusOr<int64_t> QueryCount(internal::Db& db, const char* sql, std::string_view alliance,
                                   std::string_view peer, const std::string& since) {
  LIAISON_ASSIGN_OR_RETURN(internal::Stmt st, db.Prepare(sql));
  st.Bind(1, alliance).Bind(2, peer).Bind(3, since);
  LIAISON_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : 0;
}

}  // namespace

bool ItemBudgetApplies(const AllianceConfig& alliance) {
  return alliance.max_peer_items_per_day > 0 || alliance.max_revealed_items_per_day > 0;
}

absl::Status ReserveItemsIn(internal::Db& db, const AllianceConfig& alliance,
                            std::string_view peer, std::string_view job_id, uint64_t peer_items,
                            uint64_t revealed_worst) {
  const std::string since = WindowStart();
  if (alliance.max_peer_items_per_day > 0) {
    LIAISON_ASSIGN_OR_RETURN(
        int64_t used,
        QueryCount(db,
                   "SELECT COALESCE(SUM(peer_items), 0) FROM item_reservations "
                   "WHERE alliance = ?1 AND peer = ?2 AND time >= ?3",
                   alliance.name, peer, since));
    if (static_cast<uint64_t>(used) + peer_items > alliance.max_peer_items_per_day) {
      return absl::ResourceExhaustedError(
          StrCat("item budget of ", peer, " in alliance ", alliance.name,
                 ": max_peer_items_per_day is ", alliance.max_peer_items_per_day, "; ", used,
                 " items announced in the last 24 hours; this job announces ", peer_items));
    }
  }
  if (alliance.max_revealed_items_per_day > 0 && revealed_worst > 0) {
    LIAISON_ASSIGN_OR_RETURN(
        int64_t revealed,
        QueryCount(db,
                   "SELECT count(DISTINCT item_digest) FROM item_budget "
                   "WHERE alliance = ?1 AND peer = ?2 AND revealed_at >= ?3",
                   alliance.name, peer, since));
    LIAISON_ASSIGN_OR_RETURN(
        int64_t reserved,
        QueryCount(db,
                   "SELECT COALESCE(SUM(revealed_reserved), 0) FROM item_reservations "
                   "WHERE alliance = ?1 AND peer = ?2 AND time >= ?3",
                   alliance.name, peer, since));
    const uint64_t used = static_cast<uint64_t>(revealed + reserved);
    if (used + revealed_worst > alliance.max_revealed_items_per_day) {
      return absl::ResourceExhaustedError(StrCat(
          "item budget of ", peer, " in alliance ", alliance.name,
          ": max_revealed_items_per_day is ", alliance.max_revealed_items_per_day, "; ", used,
          " items of ours revealed or reserved in the last 24 hours; this job may reveal up to ",
          revealed_worst));
    }
  }
  LIAISON_ASSIGN_OR_RETURN(
      internal::Stmt ins,
      db.Prepare("INSERT INTO item_reservations (job_id, alliance, peer, peer_items, "
                 "revealed_reserved, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  ins.Bind(1, job_id)
      .Bind(2, alliance.name)
      .Bind(3, peer)
      .Bind(4, static_cast<int64_t>(peer_items))
      .Bind(5, static_cast<int64_t>(revealed_worst))
      .Bind(6, internal::Rfc3339Now());
  return ins.Run();
}

absl::Status RecordRevealedIn(internal::Db& db, std::string_view job_id,
                              const std::vector<const std::string*>& revealed_keys) {
  LIAISON_ASSIGN_OR_RETURN(
      internal::Stmt sel,
      db.Prepare("SELECT alliance, peer FROM item_reservations WHERE job_id = ?1"));
  sel.Bind(1, job_id);
  LIAISON_ASSIGN_OR_RETURN(bool row, sel.Step());
  if (!row) return absl::OkStatus();
  const std::string alliance = sel.Text(0), peer = sel.Text(1);
  const std::string now = internal::Rfc3339Now();
  LIAISON_ASSIGN_OR_RETURN(
      internal::Stmt ins,
      db.Prepare("INSERT OR IGNORE INTO item_budget (alliance, peer, item_digest, job_id, "
                 "revealed_at) VALUES (?1, ?2, ?3, ?4, ?5)"));
  for (const std::string* key : revealed_keys) {
    crypto::Sha256Hasher h;
    h.Update(kItemDigestContext);
    h.Update(*key);
    crypto::Digest256 d = h.Finish();
    ins.Bind(1, alliance).Bind(2, peer).BindBlob(3, ByteSpan(d.data(), d.size()))
        .Bind(4, job_id).Bind(5, now);
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
