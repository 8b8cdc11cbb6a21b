#include "node/privacy_ledger.h"

#include <utility>
#include <vector>

#include "base/status.h"
#include "base/strings.h"
#include "dp/rational.h"
#include "node/internal/util.h"

namespace liaison::node {
namespace {

absl::StatusOr<mpq_class> ParseNonNegative(std::string_view name, std::string_view text) {
  LIAISON_ASSIGN_OR_RETURN(mpq_class v, dp::ParseDecimal(name, text));
  if (v < 0) {
    return absl::InvalidArgumentError(StrCat(name, ": \"", text, "\" is negative"));
  }
  return v;
}

// Describe is an amount for people, in decimals ("epsilon 0.5, delta
// 0.000001"); the ledger's rows keep FormatRational's exact text.
std::string Describe(const PrivacyAmount& a) {
  return StrCat("epsilon ", dp::FormatDecimal(a.epsilon), ", delta ",
                dp::FormatDecimal(a.delta));
}

}  // namespace

absl::StatusOr<PrivacyAmount> ParsePrivacyAmount(std::string_view what,
                                                 std::string_view epsilon,
                                                 std::string_view delta) {
  PrivacyAmount a;
  LIAISON_ASSIGN_OR_RETURN(a.epsilon, ParseNonNegative(StrCat(what, " epsilon"), epsilon));
  if (!delta.empty()) {
    LIAISON_ASSIGN_OR_RETURN(a.delta, ParseNonNegative(StrCat(what, " delta"), delta));
  }
  if (a.delta >= 1) {
    return absl::InvalidArgumentError(StrCat(what, " delta: must be below 1"));
  }
  return a;
}

absl::StatusOr<PrivacyAmount> BudgetOf(const AllianceConfig& alliance) {
  if (!alliance.dp.has_value()) {
    return absl::FailedPreconditionError(
        StrCat("alliance ", alliance.name, " has no differential-privacy budget"));
  }
  return ParsePrivacyAmount(StrCat("alliances.", alliance.name, ".dp"), alliance.dp->epsilon,
                            alliance.dp->delta);
}

absl::StatusOr<PrivacyBudgets> PrivacyBudgetsFor(const Config& config, std::string_view peer,
                                                 std::string_view dataset) {
  PrivacyBudgets b;
  bool any = false;
  for (const auto& [name, alliance] : config.alliances) {
    if (!alliance.dp || !GrantsDataset(alliance, peer, dataset)) continue;
    LIAISON_ASSIGN_OR_RETURN(PrivacyAmount a, BudgetOf(alliance));
    if (!any) {
      b.per_peer = a;
      any = true;
    } else {
      if (a.epsilon < b.per_peer.epsilon) b.per_peer.epsilon = a.epsilon;
      if (a.delta < b.per_peer.delta) b.per_peer.delta = a.delta;
    }
  }
  if (!any) {
    return absl::FailedPreconditionError(StrCat("no alliance with a privacy budget grants ", peer,
                                                " the dataset ", dataset));
  }
  auto ds = config.datasets.find(std::string(dataset));
  if (ds != config.datasets.end() && ds->second.dp_global) {
    LIAISON_ASSIGN_OR_RETURN(b.global,
                             ParsePrivacyAmount(StrCat("datasets.", dataset, ".dp_global"),
                                                ds->second.dp_global->epsilon,
                                                ds->second.dp_global->delta));
  }
  return b;
}

absl::StatusOr<LedgerTotals> SpentIn(internal::Db& db, const LedgerScope& scope,
                                     std::string_view except_job) {
  const bool by_content = !scope.dataset_digest.empty();
  if (by_content == !scope.dataset.empty()) {
    return absl::InternalError("a ledger is by dataset name or by content, one of the two");
  }
  std::string sql = StrCat("SELECT epsilon, delta FROM privacy_ledger WHERE ",
                           by_content ? "dataset_digest" : "dataset", " = ?1 AND job_id != ?2");
  if (!scope.peer_fingerprint.empty()) sql += " AND peer_fingerprint = ?3";
  LIAISON_ASSIGN_OR_RETURN(internal::Stmt st, db.Prepare(sql));
  st.Bind(1, by_content ? scope.dataset_digest : scope.dataset).Bind(2, except_job);
  if (!scope.peer_fingerprint.empty()) st.Bind(3, scope.peer_fingerprint);
  LedgerTotals t;
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    // Rows hold dp::FormatRational output ("3", "1/10"), exact.
    mpq_class e, d;
    if (e.set_str(st.Text(0), 10) != 0 || d.set_str(st.Text(1), 10) != 0) {
      return absl::DataLossError("privacy ledger row is not a rational number");
    }
    e.canonicalize();
    d.canonicalize();
    t.spent.epsilon += e;
    t.spent.delta += d;
    ++t.num_charges;
  }
  return t;
}

absl::StatusOr<std::vector<std::string>> ContentsIn(internal::Db& db, const LedgerScope& scope) {
  std::string sql =
      "SELECT dataset_digest FROM privacy_ledger WHERE dataset = ?1 AND dataset_digest != ''";
  if (!scope.peer_fingerprint.empty()) sql += " AND peer_fingerprint = ?2";
  sql += " GROUP BY dataset_digest ORDER BY MIN(id)";
  LIAISON_ASSIGN_OR_RETURN(internal::Stmt st, db.Prepare(sql));
  st.Bind(1, scope.dataset);
  if (!scope.peer_fingerprint.empty()) st.Bind(2, scope.peer_fingerprint);
  std::vector<std::string> out;
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(st.Text(0));
  }
  return out;
}

namespace {

// Ledger is one ledger a charge must fit in, with its budget and how to
// name it to a person.
struct Ledger {
  LedgerScope scope;
  PrivacyAmount budget;
  std::string what;
};

// LedgersOf lists the ledgers covering `key` (its content ones only when
// the content is known, or `only_content`: just those).
std::vector<Ledger> LedgersOf(const BudgetKey& key, const PrivacyBudgets& budgets,
                              bool only_content = false) {
  std::vector<Ledger> out;
  if (!only_content) {
    out.push_back({{key.peer_fingerprint, key.dataset, ""},
                   budgets.per_peer,
                   StrCat("privacy budget of peer ", key.peer, " for dataset ", key.dataset,
                          " (all alliances together)")});
  }
  if (!key.dataset_digest.empty()) {
    out.push_back({{key.peer_fingerprint, "", key.dataset_digest},
                   budgets.per_peer,
                   StrCat("privacy budget of peer ", key.peer, " for the content of dataset ",
                          key.dataset, " (the same items under any dataset name)")});
  }
  if (budgets.global) {
    if (!only_content) {
      out.push_back({{"", key.dataset, ""},
                     *budgets.global,
                     StrCat("global privacy budget of dataset ", key.dataset,
                            " (all peers together)")});
    }
    if (!key.dataset_digest.empty()) {
      out.push_back({{"", "", key.dataset_digest},
                     *budgets.global,
                     StrCat("global privacy budget of the content of dataset ", key.dataset,
                            " (all peers together, under any dataset name)")});
    }
  }
  return out;
}

// CheckFits returns ResourceExhausted if adding `cost` to any of `ledgers`
// (leaving out `except_job`'s charges) would overspend it.
absl::Status CheckFits(internal::Db& db, const std::vector<Ledger>& ledgers,
                       const PrivacyAmount& cost, std::string_view except_job) {
  for (const Ledger& l : ledgers) {
    LIAISON_ASSIGN_OR_RETURN(LedgerTotals t, SpentIn(db, l.scope, except_job));
    if (t.spent.epsilon + cost.epsilon > l.budget.epsilon ||
        t.spent.delta + cost.delta > l.budget.delta) {
      return absl::ResourceExhaustedError(
          StrCat(l.what, " would be overspent: budget ", Describe(l.budget), "; spent ",
                 Describe(t.spent), " in ", t.num_charges, " answers; this job asks ",
                 Describe(cost)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LedgerTotals> ReserveIn(internal::Db& db, const BudgetKey& key,
                                       std::string_view job_id, const PrivacyAmount& cost,
                                       const PrivacyBudgets& budgets) {
  if (cost.epsilon <= 0 || cost.delta < 0) {
    return absl::InvalidArgumentError("a privacy charge needs epsilon > 0 and delta >= 0");
  }
  if (key.peer_fingerprint.empty() || key.dataset.empty()) {
    return absl::InternalError("a privacy charge needs the peer's key and the dataset");
  }
  LIAISON_RETURN_IF_ERROR(CheckFits(db, LedgersOf(key, budgets), cost, ""));
  LIAISON_ASSIGN_OR_RETURN(
      internal::Stmt ins,
      db.Prepare("INSERT INTO privacy_ledger (alliance, peer, dataset, epsilon, delta, "
                 "job_id, time, peer_fingerprint, dataset_digest) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  ins.Bind(1, key.alliance)
      .Bind(2, key.peer)
      .Bind(3, key.dataset)
      .Bind(4, dp::FormatRational(cost.epsilon))
      .Bind(5, dp::FormatRational(cost.delta))
      .Bind(6, job_id)
      .Bind(7, db.NowRfc3339())
      .Bind(8, key.peer_fingerprint)
      .Bind(9, key.dataset_digest);
  LIAISON_RETURN_IF_ERROR(ins.Run());
  return SpentIn(db, LedgerScope{key.peer_fingerprint, key.dataset, ""});
}

absl::StatusOr<LedgerTotals> Reserve(Store& store, const BudgetKey& key,
                                     std::string_view job_id, const PrivacyAmount& cost,
                                     const PrivacyBudgets& budgets) {
  LedgerTotals out;
  LIAISON_RETURN_IF_ERROR(store.Write([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(out, ReserveIn(db, key, job_id, cost, budgets));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status SettleContentIn(internal::Db& db, std::string_view job_id, std::string_view digest,
                             const PrivacyBudgets& budgets) {
  LIAISON_ASSIGN_OR_RETURN(
      internal::Stmt sel,
      db.Prepare("SELECT alliance, peer, dataset, epsilon, delta, peer_fingerprint, "
                 "dataset_digest FROM privacy_ledger WHERE job_id = ?1"));
  sel.Bind(1, job_id);
  LIAISON_ASSIGN_OR_RETURN(bool row, sel.Step());
  if (!row) return absl::OkStatus();  // the job was charged nothing
  BudgetKey key{sel.Text(5), sel.Text(1), sel.Text(0), sel.Text(2), sel.Text(6)};
  if (key.dataset_digest == digest) return absl::OkStatus();
  PrivacyAmount cost;
  if (cost.epsilon.set_str(sel.Text(3), 10) != 0 || cost.delta.set_str(sel.Text(4), 10) != 0) {
    return absl::DataLossError("privacy ledger row is not a rational number");
  }
  cost.epsilon.canonicalize();
  cost.delta.canonicalize();
  sel.Reset();
  key.dataset_digest = std::string(digest);
  LIAISON_RETURN_IF_ERROR(
      CheckFits(db, LedgersOf(key, budgets, /*only_content=*/true), cost, job_id));
  LIAISON_ASSIGN_OR_RETURN(
      internal::Stmt upd,
      db.Prepare("UPDATE privacy_ledger SET dataset_digest = ?1 WHERE job_id = ?2"));
  upd.Bind(1, digest).Bind(2, job_id);
  return upd.Run();
}

}  // namespace liaison::node
