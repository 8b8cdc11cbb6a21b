// Fuzz target: the node's config parser (node/config.h), TOML text from the
// fuzz input into ParseConfig. Properties checked, beyond not crashing: a
// failure is InvalidArgument (the only code ParseConfig documents) and
// names the source file, and a success is a config whose cross-references
// hold (every alliance member is a peer, every schedule's alliance exists,
// a count or sum schedule has its epsilon and its alliance a DP budget).
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "node/config.h"
#include "node/home.h"

namespace {

constexpr char kSource[] = "liaison.toml";

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<liaison::node::Config> config =
      liaison::node::ParseConfig(text, kSource, "/nonexistent-liaison-home");
  if (!config.ok()) {
    Check(config.status().code() == absl::StatusCode::kInvalidArgument);
    Check(config.status().message().substr(0, sizeof(kSource) - 1) == kSource);
    return 0;
  }
  for (const auto& [name, alliance] : config->alliances) {
    for (const std::string& member : alliance.members) Check(config->peers.count(member) == 1);
  }
  for (const auto& [name, schedule] : config->schedules) {
    Check(config->alliances.count(schedule.job.alliance) == 1);
    Check(schedule.recurrence.period_s > 0);
    Check(schedule.recurrence.offset_s >= 0 &&
          schedule.recurrence.offset_s < schedule.recurrence.period_s);
    // A count or sum carries its ε (checked as a REST job's); a match no DP.
    const liaison::node::DpJobParams& dp = schedule.job.dp;
    if (schedule.job.question == liaison::node::Question::kMatch) {
      Check(dp.epsilon.empty() && dp.delta.empty() && dp.count_epsilon.empty() &&
            dp.bounds.empty());
    } else {
      Check(!dp.epsilon.empty());
      Check(config->alliances.at(schedule.job.alliance).dp.has_value());
    }
  }
  return 0;
}

std::vector<std::string> LiaisonFuzzSeeds() {
  const std::string fp =
      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  std::string full = R"([node]
name = "alpha"
peer_listen = "0.0.0.0:7400"
rest_listen = "127.0.0.1:7480"
max_concurrent_jobs = 4
approval_poll_seconds = 10
approval_timeout_seconds = 3600
shutdown_grace_seconds = 5
peer_connect_timeout_seconds = 3
peer_retry_attempts = 4
peer_retry_initial_seconds = 2
peer_retry_max_seconds = 60

[peers.bravo]
address = "bravo.example.org:7400"
fingerprint = ")" + fp + R"("

[datasets.indicators]
file = "data/indicators.txt"
format = "text"
type = "auto"
tlp = "amber"

[datasets.accounts]
file = "data/accounts.csv"
column = "iban"
value_column = "amount_cents"
type = "string"
tlp = "amber"

[alliances.fincrime]
members = ["bravo"]
questions = ["match", "count", "sum"]
protocols = ["rr22", "ecdh"]
min_set_size = 10
max_set_size = 10000000
jobs_per_hour_per_peer = 12
approval = "manual"
tlp_ceiling = "amber"

[alliances.fincrime.datasets]
bravo = ["indicators", "accounts"]

[alliances.fincrime.dp]
epsilon = "1.0"
delta = "0.000001"

[schedules.nightly-bravo]
alliance = "fincrime"
peer = "bravo"
dataset = "indicators"
question = "match"
protocol = "rr22"
daily = "02:00"

[schedules.often]
alliance = "fincrime"
peer = "bravo"
dataset = "accounts"
question = "match"
protocol = "ecdh"
result_to = "me"
every = "30s"
catch_up = "latest"

[schedules.weekly]
alliance = "fincrime"
peer = "bravo"
dataset = "indicators"
question = "match"
protocol = "rr22"
every = "7d"
at = "06:30"

[schedules.weekly-count]
alliance = "fincrime"
peer = "bravo"
dataset = "indicators"
question = "count"
protocol = "rr22"
epsilon = "0.1"
delta = "0.0000001"
every = "7d"
at = "06:00"

[schedules.daily-sum]
alliance = "fincrime"
peer = "bravo"
dataset = "accounts"
question = "sum"
protocol = "rr22"
result_to = "peer"
epsilon = "0.25"
bounds = "-100:250000"
count_epsilon = "0.05"
daily = "03:30"

[webhooks.soar]
url = "https://soar.example.org/hooks/liaison?token=x"
secret_file = "secrets/soar-webhook.key"
events = ["job_succeeded", "job_failed", "job_refused", "schedule_missed"]
max_attempts = 5
timeout_seconds = 20

[webhooks.local]
url = "http://[::1]:9000/"
secret_env = "LIAISON_HOOK_SECRET"
)";
  return {liaison::node::ConfigTemplate("alpha"), full};
}
