#include "node/budget_keys.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "base/log.h"
#include "base/status.h"
#include "base/strings.h"
#include "node/internal/sqlite.h"

namespace liaison::node {
namespace {

// The tables whose rows carry a BudgetKey.
constexpr const char* kKeyedTables[] = {"privacy_ledger", "item_reservations", "item_budget"};

}  // namespace

absl::StatusOr<BudgetKey> BudgetKeyOf(const Config& config, std::string_view peer,
                                      std::string_view alliance, std::string_view dataset,
                                      std::string_view digest) {
  auto p = config.peers.find(std::string(peer));
  if (p == config.peers.end()) return absl::NotFoundError(StrCat("no peer ", peer));
  return BudgetKey{p->second.fingerprint, std::string(peer), std::string(alliance),
                   std::string(dataset), std::string(digest)};
}

bool GrantsDataset(const AllianceConfig& alliance, std::string_view peer,
                   std::string_view dataset) {
  if (std::find(alliance.members.begin(), alliance.members.end(), peer) ==
      alliance.members.end()) {
    return false;
  }
  auto it = alliance.datasets.find(std::string(peer));
  return it != alliance.datasets.end() &&
         std::find(it->second.begin(), it->second.end(), dataset) != it->second.end();
}

absl::StatusOr<int> CompleteBudgetKeys(Store& store, const Config& config,
                                       const DigestFn& digest_of) {
  std::set<std::string> peers, datasets;
  LIAISON_RETURN_IF_ERROR(store.Read([&](internal::Db& db) -> absl::Status {
    for (const char* table : kKeyedTables) {
      LIAISON_ASSIGN_OR_RETURN(
          internal::Stmt p,
          db.Prepare(StrCat("SELECT DISTINCT peer FROM ", table, " WHERE peer_fingerprint = ''")));
      for (;;) {
        LIAISON_ASSIGN_OR_RETURN(bool row, p.Step());
        if (!row) break;
        peers.insert(p.Text(0));
      }
      LIAISON_ASSIGN_OR_RETURN(
          internal::Stmt d,
          db.Prepare(StrCat("SELECT DISTINCT dataset FROM ", table,
                            " WHERE dataset_digest = '' AND dataset != ''")));
      for (;;) {
        LIAISON_ASSIGN_OR_RETURN(bool row, d.Step());
        if (!row) break;
        datasets.insert(d.Text(0));
      }
    }
    return absl::OkStatus();
  }));
  if (peers.empty() && datasets.empty()) return 0;

  std::map<std::string, std::string> fingerprints, digests;
  for (const std::string& name : peers) {
    auto it = config.peers.find(name);
    if (it == config.peers.end()) {
      Log(LogLevel::kWarning, StrCat("budget rows of peer \"", name,
                                     "\" keep no key fingerprint: the peer is not configured"));
      continue;
    }
    fingerprints[name] = it->second.fingerprint;
  }
  for (const std::string& name : datasets) {
    auto it = config.datasets.find(name);
    absl::StatusOr<std::string> digest =
        it == config.datasets.end() ? absl::NotFoundError("not configured") : digest_of(it->second);
    if (!digest.ok()) {
      Log(LogLevel::kWarning,
          StrCat("budget rows of dataset \"", name, "\" keep no content digest for now: ",
                 std::string(digest.status().message())));
      continue;
    }
    digests[name] = *digest;
  }
  int completed = 0;
  LIAISON_RETURN_IF_ERROR(store.Write([&](internal::Db& db) -> absl::Status {
    completed = 0;
    for (const char* table : kKeyedTables) {
      for (const auto& [name, fingerprint] : fingerprints) {
        LIAISON_ASSIGN_OR_RETURN(
            internal::Stmt u, db.Prepare(StrCat("UPDATE ", table, " SET peer_fingerprint = ?1 "
                                                "WHERE peer_fingerprint = '' AND peer = ?2")));
        u.Bind(1, fingerprint).Bind(2, name);
        LIAISON_RETURN_IF_ERROR(u.Run());
        completed += static_cast<int>(db.Changes());
      }
      for (const auto& [name, digest] : digests) {
        LIAISON_ASSIGN_OR_RETURN(
            internal::Stmt u, db.Prepare(StrCat("UPDATE ", table, " SET dataset_digest = ?1 "
                                                "WHERE dataset_digest = '' AND dataset = ?2")));
        u.Bind(1, digest).Bind(2, name);
        LIAISON_RETURN_IF_ERROR(u.Run());
        completed += static_cast<int>(db.Changes());
      }
    }
    return absl::OkStatus();
  }));
  return completed;
}

}  // namespace liaison::node
