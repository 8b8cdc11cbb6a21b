#include "node/privacy_ledger.h"

#include <utility>

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

std::string Describe(const PrivacyAmount& a) {
  return StrCat("epsilon ", dp::FormatRational(a.epsilon), ", delta ",
                dp::FormatRational(a.delta));
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

absl::StatusOr<LedgerTotals> SpentIn(internal::Db& db, const LedgerKey& key) {
  LIAISON_ASSIGN_OR_RETURN(
      internal::Stmt st,
      db.Prepare("SELECT epsilon, delta FROM privacy_ledger "
                 "WHERE alliance = ?1 AND peer = ?2 AND dataset = ?3"));
  st.Bind(1, key.alliance).Bind(2, key.peer).Bind(3, key.dataset);
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

absl::StatusOr<LedgerTotals> ReserveIn(internal::Db& db, const LedgerKey& key,
                                       std::string_view job_id, const PrivacyAmount& cost,
                                       const PrivacyAmount& budget) {
  if (cost.epsilon <= 0 || cost.delta < 0) {
    return absl::InvalidArgumentError("a privacy charge needs epsilon > 0 and delta >= 0");
  }
  LIAISON_ASSIGN_OR_RETURN(LedgerTotals t, SpentIn(db, key));
  PrivacyAmount after{t.spent.epsilon + cost.epsilon, t.spent.delta + cost.delta};
  if (after.epsilon > budget.epsilon || after.delta > budget.delta) {
    return absl::ResourceExhaustedError(StrCat(
        "privacy budget of peer ", key.peer, " for dataset ", key.dataset, " in alliance ",
        key.alliance, " would be overspent: budget ", Describe(budget), "; spent ",
        Describe(t.spent), " in ", t.num_charges, " answers; this job asks ",
        Describe(cost)));
  }
  LIAISON_ASSIGN_OR_RETURN(
      internal::Stmt ins,
      db.Prepare("INSERT INTO privacy_ledger (alliance, peer, dataset, epsilon, delta, "
                 "job_id, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  ins.Bind(1, key.alliance)
      .Bind(2, key.peer)
      .Bind(3, key.dataset)
      .Bind(4, dp::FormatRational(cost.epsilon))
      .Bind(5, dp::FormatRational(cost.delta))
      .Bind(6, job_id)
      .Bind(7, internal::Rfc3339Now());
  LIAISON_RETURN_IF_ERROR(ins.Run());
  t.spent = std::move(after);
  ++t.num_charges;
  return t;
}

absl::StatusOr<LedgerTotals> Reserve(Store& store, const LedgerKey& key,
                                     std::string_view job_id, const PrivacyAmount& cost,
                                     const PrivacyAmount& budget) {
  LedgerTotals out;
  LIAISON_RETURN_IF_ERROR(store.Write([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(out, ReserveIn(db, key, job_id, cost, budget));
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace liaison::node
