#include "node/home.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/status.h"
#include "base/strings.h"
#include "net/identity.h"
#include "node/audit.h"
#include "node/config.h"
#include "node/store.h"

namespace liaison::node {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string DefaultName(const std::string& dir) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  size_t slash = d.rfind('/');
  std::string base = slash == std::string::npos ? d : d.substr(slash + 1);
  return IsValidName(base) ? base : "liaison-node";
}

}  // namespace

std::string HomePath(const std::string& dir, std::string_view name) {
  if (!dir.empty() && dir.back() == '/') return StrCat(dir, name);
  return StrCat(dir, "/", name);
}

std::string ConfigTemplate(std::string_view name) {
  return StrCat(R"(# liaison node configuration (docs/node.md is the full reference).
# Lines "#key = value" are examples: remove the '#' to use them. Unknown keys
# are errors, so a typo is reported instead of silently ignored.

[node]
# name: how this node is called in audit exports and in the REST API.
name = ")", name, R"("
# peer_listen: host:port where other liaison nodes connect (mutual TLS,
# pinned keys). Open this port to your partners only.
peer_listen = "0.0.0.0:7400"
# rest_listen: host:port of the REST API for analysts and automation. Keep it
# on loopback or an internal network. It is HTTPS with this node's own
# certificate (node.crt): clients pin its key (docs/node.md, "REST API").
rest_listen = "127.0.0.1:7480"
# max_concurrent_jobs: jobs run at once: that many of ours, and that many
# offers of our peers (more are answered "busy", to retry shortly).
#max_concurrent_jobs = 2
# approval_poll_seconds: how often we ask again about an offer a peer holds
# for manual approval; approval_timeout_seconds: how long such an offer may
# wait before both sides give up on it.
#approval_poll_seconds = 30
#approval_timeout_seconds = 86400
# shutdown_grace_seconds: on SIGTERM, how long running jobs may take to finish
# before they are failed.
#shutdown_grace_seconds = 10
# peer_connect_timeout_seconds: how long one attempt to reach a peer may take.
# peer_retry_attempts: how many times we try to reach an unreachable peer
# before the job fails; the waits between attempts start at
# peer_retry_initial_seconds and double (with jitter) up to
# peer_retry_max_seconds. The job stays awaiting_peer meanwhile.
#peer_connect_timeout_seconds = 5
#peer_retry_attempts = 5
#peer_retry_initial_seconds = 5
#peer_retry_max_seconds = 300
# The peer port's limits against clients that connect and stall. A client
# has handshake_timeout_seconds for its TLS handshake (and a partner as long
# again for its offer); at most max_handshakes connections (and
# max_handshakes_per_address from one address) may be in their handshake at
# once, a new one displacing the oldest; one partner may hold at most
# max_connections_per_peer connections (beyond: "busy").
#handshake_timeout_seconds = 5
#max_handshakes = 256
#max_handshakes_per_address = 32
#max_connections_per_peer = 4

# --- Peers -------------------------------------------------------------------
# One [peers.<name>] table per partner node. The fingerprint is the one the
# partner's administrator reads from `liaison fingerprint DIR` and gives you
# out of band (phone, signed mail); a node with any other key is refused.
#
#[peers.bravo]
# address: the partner's peer_listen address, host:port.
#address = "bravo.example.org:7400"
# fingerprint: "sha256:" and 64 hex digits (any case, ':' separators allowed).
#fingerprint = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

# --- Datasets ----------------------------------------------------------------
# One [datasets.<name>] table per list of items this node may match. The items
# never leave the node; only the agreed answer does.
#
#[datasets.indicators]
# file: the list; a relative path is relative to this directory.
#file = "data/indicators.txt"
# format: text (one item per line), csv or jsonl. Default: by file extension.
#format = "text"
# type: ipv4, ipv6, cidr, domain, url, email, md5, sha1, sha256, sha512,
# string, or auto (detect per record, the default).
#type = "auto"
# tlp: the dataset's TLP 2.0 marking: clear, green, amber, amber+strict, red.
#tlp = "amber"
# dp_global_epsilon / dp_global_delta: a privacy budget of this dataset for
# all peers together, on top of each peer's own (the alliances' dp), as
# quoted decimal strings. global_max_peer_items_per_day and
# global_max_revealed_items_per_day: the item budget of match jobs for all
# peers together. Unset: no such limit.
#dp_global_epsilon = "5.0"
#dp_global_delta = "0.00001"
#global_max_peer_items_per_day = 100000000
#
#[datasets.accounts]
#file = "data/accounts.csv"
# column: for csv, the header name of the column holding the items.
#column = "iban"
# value_column (csv) / value_field (jsonl): integer values (e.g. amounts in
# cents) for sum questions; rows of one item are summed, then clamped to
# the job's bounds.
#value_column = "amount_cents"
#type = "string"
#tlp = "red"

# --- Alliances ---------------------------------------------------------------
# An alliance is a named group of peers and the policy for jobs with them.
#
#[alliances.fincrime]
# members: peer names (each must have a [peers.<name>] table).
#members = ["bravo"]
# questions: what members may ask: match, count, sum.
#questions = ["match", "count"]
# protocols: rr22 (fast, for large sets) and/or ecdh (few rounds).
#protocols = ["rr22", "ecdh"]
# min_set_size / max_set_size: bounds on either side's number of items;
# a job outside them is refused before any protocol message.
#min_set_size = 10
#max_set_size = 10000000
# jobs_per_hour_per_peer: rate limit on jobs with each member.
#jobs_per_hour_per_peer = 12
# max_peer_items_per_day: for match jobs, the sum of a member's set sizes
# against each dataset of ours over any 24 hours (caps how much it can
# probe); max_revealed_items_per_day: distinct items of each dataset it may
# learn over 24 hours. Counted over all alliances. Unset: no limit.
#max_peer_items_per_day = 50000000
#max_revealed_items_per_day = 100000
# require_build: the build digests (`liaison version`, "build sha256:...")
# a member's node must announce, e.g. the one both organisations got by
# rebuilding the agreed release (docs/trust.md). Unset: any build.
#require_build = ["sha256:0000000000000000000000000000000000000000000000000000000000000000"]
# approval: "auto" runs accepted jobs at once; "manual" waits for an analyst.
#approval = "manual"
# tlp_ceiling: the most restricted marking a dataset may carry and be used
# here; naming a dataset above it is an error.
#tlp_ceiling = "amber"
# security: the adversary model of the alliance's jobs. Left out (as
# here), a job runs "malicious" (safe even if the partner deviates from the
# protocol) wherever its protocol and question have a malicious variant
# (today: match, count and sum on rr22) and "semi-honest" otherwise. security = "malicious"
# refuses the jobs that have none; security = "semi-honest" runs all jobs
# semi-honest. Both sides' policies must give a job the same model.
#
# datasets: for each member, the datasets that may be used in jobs with it.
#[alliances.fincrime.datasets]
#bravo = ["indicators"]
#
# dp: the differential-privacy budget for count and sum answers (required when
# they are allowed): total epsilon and delta each member may spend on each
# dataset of ours, in all alliances together (where two alliances grant it
# the same dataset, the smaller budget applies), as quoted decimal strings so
# that they are exact.
#[alliances.fincrime.dp]
#epsilon = "1.0"
#delta = "0.000001"

# --- Schedules ---------------------------------------------------------------
# A schedule submits the same job again and again (docs/node.md, "Schedules").
# All times are UTC. Runs missed while the node was down are reported in the
# audit log and to webhooks, not run, unless catch_up = "latest".
#
#[schedules.nightly-bravo]
# The job: each field must be allowed by the alliance's policy.
#alliance = "fincrime"
#peer = "bravo"
#dataset = "indicators"
#question = "match"
#protocol = "rr22"
# result_to: who learns the result: both (default), me or peer.
#result_to = "both"
# When: daily = "HH:MM", or instead every = "15m" / "6h" / "24h" / "7d" (a
# period that divides a day or is whole days; with whole days, at = "HH:MM"
# sets the time of day: every = "7d" with at = "06:30").
#daily = "02:00"
# catch_up: "none" (default) only reports missed runs; "latest" also runs the
# most recent missed one when the node starts again.
#catch_up = "none"
#
#[schedules.weekly-count]
# A count or sum schedule carries the differential-privacy parameters of a
# POST /v1/jobs body (docs/dp.md), as quoted decimal strings: epsilon
# (required) and optionally delta; a sum also needs bounds = "LO:HI" and may
# add count_epsilon. A count or sum that runs malicious goes to one side
# only: result_to "me" (the default here) or "peer". Every run spends its
# cost from the dp budget of the side whose peer learns it; a run that would
# overspend is refused and reported (reason budget_exhausted), and so is
# every later one until the budget is raised: a budget is never given back.
#alliance = "fincrime"
#peer = "bravo"
#dataset = "indicators"
#question = "count"
#protocol = "rr22"
#epsilon = "0.1"
#every = "7d"
#at = "06:00"

# --- Webhooks ----------------------------------------------------------------
# Signed HTTP POSTs when jobs finish or scheduled runs are missed
# (docs/webhooks.md explains how a receiver verifies them).
#
#[webhooks.soar]
#url = "https://soar.example.org/hooks/liaison"
# The shared secret: a file in this directory, mode 0600 (make one with
# `openssl rand -hex 32`), or an environment variable (secret_env = "NAME").
#secret_file = "secrets/soar-webhook.key"
# events: default all of job_succeeded, job_failed, job_refused,
# job_cancelled, schedule_missed.
#events = ["job_succeeded", "job_failed", "job_refused", "schedule_missed"]
# max_attempts: tries before giving up (and auditing webhook_failed).
#max_attempts = 8
# timeout_seconds: for connecting and for each read and write.
#timeout_seconds = 10
)");
}

absl::StatusOr<InitResult> InitHome(const std::string& dir, const InitOptions& options) {
  if (dir.empty()) return absl::InvalidArgumentError("the node directory is empty");
  std::string name = options.name.empty() ? DefaultName(dir) : options.name;
  if (!IsValidName(name)) {
    return absl::InvalidArgumentError(
        StrCat("\"", name, "\" is not a valid node name (1 to 64 letters, digits, '.', '_' "
                           "or '-')"));
  }
  InitResult result;
  result.config_path = HomePath(dir, kConfigFile);
  result.store_path = HomePath(dir, kStoreFile);
  for (std::string_view f :
       {std::string_view(kConfigFile), std::string_view(kStoreFile),
        std::string_view(net::kIdentityKeyFile), std::string_view(net::kIdentityCertFile)}) {
    if (Exists(HomePath(dir, f))) {
      return absl::AlreadyExistsError(
          StrCat(dir, " already holds a liaison node (", f,
                 " exists); refusing to overwrite it. Use another directory."));
    }
  }

  // The identity first: GenerateIdentity makes the directory 0700 and
  // refuses to overwrite a key, even one created since the check above.
  LIAISON_ASSIGN_OR_RETURN(result.fingerprint, net::GenerateIdentity(dir));
  if (::chmod(dir.c_str(), 0700) != 0) {
    return absl::ErrnoToStatus(errno, StrCat("cannot make ", dir, " private (mode 0700)"));
  }
  LIAISON_ASSIGN_OR_RETURN(net::Identity identity, net::Identity::Load(dir));

  // The template must load: a node that cannot read its own new config would
  // be a bug, found here rather than by the administrator.
  std::string config_text = ConfigTemplate(name);
  LIAISON_RETURN_IF_ERROR(ParseConfig(config_text, kConfigFile, dir).status());

  {
    Store::Options store_options;
    store_options.create = true;
    LIAISON_ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                             Store::Open(result.store_path, store_options));
    AuditLog log(*store, identity);
    AuditEvent event;
    event.kind = AuditKind::kNodeInitialized;
    event.actor = kActorCli;
    event.params_json = nlohmann::json{{"node_name", name},
                                       {"node_fingerprint", identity.fingerprint()},
                                       {"schema_version", store->schema_version()}}
                            .dump();
    LIAISON_RETURN_IF_ERROR(log.Append(event).status());
  }

  // The config last: its presence marks a complete node.
  LIAISON_ASSIGN_OR_RETURN(std::unique_ptr<AtomicFile> file,
                           AtomicFile::Create(result.config_path, 0600));
  LIAISON_RETURN_IF_ERROR(file->Write(config_text));
  LIAISON_RETURN_IF_ERROR(file->Commit());
  return result;
}

}  // namespace liaison::node
