// The node's configuration file, liaison.toml in the node's home: who this
// node is, where it listens, its peers (pinned by key fingerprint), its
// datasets and the alliances that say which peer may ask which question of
// which dataset. docs/node.md is the reference for every key.
//
// The file is parsed with toml++ into the plain structs below and validated
// as a whole. Every error names the file, the line and the key, e.g.
//   liaison.toml:14: peers.bravo.fingerprint: not a sha256 fingerprint (...)
// Unknown keys are errors, so a typo is never silently ignored.
#ifndef LIAISON_NODE_CONFIG_H_
#define LIAISON_NODE_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "data/input.h"
#include "data/profile.h"
#include "session/handshake.h"

namespace liaison::node {

inline constexpr char kConfigFile[] = "liaison.toml";

// Tlp is a Traffic Light Protocol 2.0 marking, ordered from the least to the
// most restricted, so `a > b` means "a is more restricted than b".
enum class Tlp { kClear = 0, kGreen, kAmber, kAmberStrict, kRed };

// TlpName returns "clear", "green", "amber", "amber+strict" or "red".
std::string_view TlpName(Tlp tlp);

// ParseTlp accepts the names TlpName returns, in any case and with or
// without a "TLP:" prefix ("TLP:AMBER+STRICT"). InvalidArgument otherwise.
absl::StatusOr<Tlp> ParseTlp(std::string_view name);

// Question is what a job asks (session/job_params.h). The node runs the
// two-party questions match, count and sum; an alliance allows no other.
using session::Question;
using session::QuestionName;

// Approval says whether an accepted offer runs at once or waits for an
// analyst.
enum class Approval { kAuto, kManual };
std::string_view ApprovalName(Approval a);  // "auto", "manual"

struct NodeSection {
  // name identifies this node to people (audit exports, the REST API).
  std::string name;
  // peer_listen is the host:port the peer protocol (TLS) listens on.
  std::string peer_listen;
  // rest_listen is the host:port of the REST API (HTTPS with the node's
  // identity certificate).
  std::string rest_listen;
  // max_concurrent_jobs bounds the jobs the daemon runs at once: its
  // initiator workers, and the peers' offers it serves at a time (1 to 64).
  uint32_t max_concurrent_jobs = 2;
  // approval_poll_seconds is how often an initiator asks again about an
  // offer the peer holds for manual approval.
  uint32_t approval_poll_seconds = 30;
  // approval_timeout_seconds is how long an offer may wait for approval
  // before both sides give up on it (the initiator fails its job, the
  // responder expires its offer).
  uint32_t approval_timeout_seconds = 86400;
  // shutdown_grace_seconds is how long SIGTERM waits for running jobs to
  // finish before it fails them.
  uint32_t shutdown_grace_seconds = 10;
  // handshake_timeout_seconds bounds how long a client of the peer port may
  // take for its TLS handshake, and a pinned peer for its offer after it
  // (1 to 60): a connection that has not got that far by then is closed.
  uint32_t handshake_timeout_seconds = 5;
  // max_handshakes bounds the connections of the peer port still in their
  // TLS handshake, and max_handshakes_per_address those from one source
  // address. At either bound a new connection displaces the oldest one, so
  // connections that never finish cannot lock a partner out (1 to 4096).
  uint32_t max_handshakes = 256;
  uint32_t max_handshakes_per_address = 32;
  // max_connections_per_peer bounds one pinned peer's open connections
  // (1 to 64); offers beyond it are answered "busy".
  uint32_t max_connections_per_peer = 4;
  // peer_connect_timeout_seconds bounds one attempt of an initiator to
  // connect to a peer (1 to 300).
  uint32_t peer_connect_timeout_seconds = 5;
  // peer_retry_attempts is how many times an initiator tries to connect to
  // an unreachable peer before it fails the job (1 to 100).
  uint32_t peer_retry_attempts = 5;
  // peer_retry_initial_seconds is the delay before the second attempt; each
  // further delay doubles, up to peer_retry_max_seconds. The delay used is
  // drawn uniformly from [d/2, d] (jitter).
  uint32_t peer_retry_initial_seconds = 5;
  uint32_t peer_retry_max_seconds = 300;
};

struct PeerConfig {
  std::string name;
  // address is the peer's host:port for the peer protocol.
  std::string address;
  // fingerprint is canonical: "sha256:" and 64 lower-case hex digits.
  std::string fingerprint;
};

// DpBudget is a differential-privacy budget: an alliance's (each peer, on
// each dataset and its content) or a dataset's global one (all peers
// together). The numbers are kept as the decimal strings of the file
// ("1.5", "0.000001"); the dp module parses them exactly, never through a
// binary float.
struct DpBudget {
  // epsilon is the total epsilon that may be spent.
  std::string epsilon;
  // delta is the total delta that may be spent.
  std::string delta;
};

struct DatasetConfig {
  std::string name;
  // path is the file as written in the config.
  std::string file;
  // resolved_path is `file`, made relative to the config's directory when it
  // is not absolute.
  std::string resolved_path;
  data::Format format = data::Format::kText;
  std::string column;  // CSV only
  std::string field;   // JSON lines only
  // value_column (CSV) / value_field (JSON lines) name the numeric value
  // read with each item, for sum jobs: a dataset with one is the side that
  // brings the values. Empty: the dataset has no values.
  std::string value_column;
  std::string value_field;
  // type is the item type of every record; empty means auto-detection.
  std::optional<data::ItemType> type;
  Tlp tlp = Tlp::kRed;
  // Budgets across all peers together, on this dataset and on its content
  // whatever its name (node/privacy_ledger.h, node/item_budget.h): the
  // dp_global_epsilon / dp_global_delta keys, and the global item limits
  // (0: none).
  std::optional<DpBudget> dp_global;
  uint64_t global_max_peer_items_per_day = 0;
  uint64_t global_max_revealed_items_per_day = 0;
};


// HideCount is an alliance's rule on a quorum job's holder counts:
// kAllowed lets each job choose (counts shown by default), kRequired makes
// every job hide them (members learn only which items qualify).
enum class HideCount { kAllowed, kRequired };
std::string_view HideCountName(HideCount h);  // "allowed", "required"

// QuorumPolicy is an alliance's [alliances.<name>.quorum] table: the bounds
// within which it admits n-party quorum jobs (docs/node.md, "Quorum jobs";
// docs/protocols/quorum.md, section 8). n counts every participant, the
// initiator included.
struct QuorumPolicy {
  // min_members / max_members bound n (3 ≤ min ≤ max ≤ kMaxQuorumMembers;
  // two members ask a match or count job instead).
  uint32_t min_members = 3;
  uint32_t max_members = 16;
  // min_threshold is the smallest t a job may ask (t ≥ 2: with t = 1 a
  // member would learn nothing it does not hold, but its counts say how
  // many others hold each of its items).
  uint32_t min_threshold = 2;
  HideCount hide_count = HideCount::kAllowed;
};
// kMaxQuorumMembers is the most participants a quorum job may have (the
// over-threshold protocol's bound, mpsi::kMaxQuorumParties).
inline constexpr uint32_t kMaxQuorumMembers = 16;

struct AllianceConfig {
  std::string name;
  // members are peer names, each in Config::peers.
  std::vector<std::string> members;
  // datasets maps a member to the names of this node's datasets that may be
  // used in jobs with it. A member without an entry may use none.
  std::map<std::string, std::vector<std::string>> datasets;
  std::vector<Question> questions;
  // protocols are "rr22" and/or "ecdh".
  std::vector<std::string> protocols;
  uint64_t min_set_size = 1;
  uint64_t max_set_size = 0;
  // jobs_per_hour_per_peer bounds how many jobs each member may start in
  // any hour in this alliance.
  uint32_t jobs_per_hour_per_peer = 0;
  // Item budget of match jobs (node/item_budget.h); 0: no limit.
  // max_peer_items_per_day bounds the sum of each member's announced set
  // sizes over any 24 hours; max_revealed_items_per_day the distinct items
  // of ours revealed to each member over any 24 hours.
  uint64_t max_peer_items_per_day = 0;
  uint64_t max_revealed_items_per_day = 0;
  // require_build, when not empty, lists the build digests (canonical
  // "sha256:<hex>", base/build_info.h) a member's node must announce for a
  // job to run, in either role; empty accepts any build (docs/trust.md).
  std::vector<std::string> require_build;
  Approval approval = Approval::kManual;
  // tlp_ceiling is the most restricted marking a dataset may carry and still
  // be used in this alliance.
  Tlp tlp_ceiling = Tlp::kClear;
  // dp is required when `questions` holds count or sum.
  std::optional<DpBudget> dp;
  // quorum is set when `questions` holds quorum (defaults if the alliance
  // has no [alliances.<name>.quorum] table).
  std::optional<QuorumPolicy> quorum;
  // security is the adversary model the alliance's jobs run in; unset, each
  // job runs malicious where a malicious variant exists for its protocol and
  // question, semi-honest otherwise (node/peer_protocol.h, SecurityFor).
  std::optional<session::Security> security;
};

// Recurrence says when a schedule fires: at every Unix time t (seconds,
// UTC) with t % period_s == offset_s. node/schedule.h parses the config's
// `every`, `at` and `daily` keys into one and does the arithmetic.
struct Recurrence {
  // period_s divides a day (e.g. 900 for "15m") or is a whole number of
  // days (86400 for "24h"), so runs fall at the same times every day.
  int64_t period_s = 0;
  // offset_s is where in each period the runs fall; 0 <= offset_s <
  // period_s. Non-zero only with `at` or `daily`.
  int64_t offset_s = 0;
};

// CatchUp says what a schedule does about runs missed while the node was
// down: they are always reported (audit record and webhook
// "schedule_missed"); kLatest also runs the most recent of them.
enum class CatchUp { kNone, kLatest };
std::string_view CatchUpName(CatchUp c);  // "none", "latest"

// DpJobParams are the differential-privacy parameters of a count or sum job
// as a person writes them, in a POST /v1/jobs body or a [schedules.<name>]
// table: decimal strings, parsed exactly (node/dp_jobs.h checks them), empty
// when not given. epsilon is required for count and sum; delta selects the
// discrete Gaussian instead of the discrete Laplace; bounds "LO:HI" (sum,
// required) clamp each value; count_epsilon (sum, optional) also releases a
// noised count. A match job has none.
using DpJobParams = session::DpParams;

// kDefaultResultTo is who learns a job's result when a POST /v1/jobs body
// or a schedule does not say: we alone. It is the one choice every job can
// make except a sum whose values we bring (which must go to the peer), and
// it charges nothing to our privacy ledger.
inline constexpr std::string_view kDefaultResultTo = "me";

// JobTemplate is the job a schedule submits each time it fires. Its fields
// were checked against the alliance's policy, and its DP parameters with
// the same checks as a REST submission's (node/dp_jobs.h, JobDpOf), when
// the config was parsed.
struct JobTemplate {
  std::string alliance;
  std::string peer;
  // dataset is one of this node's datasets the alliance allows with `peer`.
  std::string dataset;
  Question question = Question::kMatch;
  std::string protocol;
  // result_to is "both", "me" or "peer" (session::ResultTo).
  std::string result_to{kDefaultResultTo};
  // dp: count and sum only.
  DpJobParams dp;
  // A quorum's (question quorum, no peer or protocol): the participants by
  // the names our config gives them (ours by [node] name), the threshold and
  // whether counts are hidden (node/initiator.h, JobSubmission).
  std::vector<std::string> participants;
  uint32_t threshold = 0;
  bool hide_count = false;
};

// ScheduleConfig is one [schedules.<name>] table.
struct ScheduleConfig {
  std::string name;
  JobTemplate job;
  Recurrence recurrence;
  CatchUp catch_up = CatchUp::kNone;
};

// WebhookEvent is what a webhook can be told about.
enum class WebhookEvent {
  kJobSucceeded,
  kJobFailed,
  kJobRefused,
  kJobCancelled,
  kScheduleMissed,
  // kQuorumAlert: a quorum job succeeded here and found items of ours
  // over its threshold (the count and a link to the result, never items).
  kQuorumAlert,
};
// WebhookEventName returns "job_succeeded", "job_failed", "job_refused",
// "job_cancelled", "schedule_missed" or "quorum_alert".
std::string_view WebhookEventName(WebhookEvent e);
// ParseWebhookEvent is the inverse of WebhookEventName; InvalidArgument for
// any other string.
absl::StatusOr<WebhookEvent> ParseWebhookEvent(std::string_view name);

// WebhookConfig is one [webhooks.<name>] table (node/webhook.h). Exactly one
// of secret_file and secret_env is set; the secret itself is read when the
// webhook dispatcher is created, never while parsing.
struct WebhookConfig {
  std::string name;
  // url is http:// or https://, checked by ParseWebhookUrl. It may carry a
  // token of the receiver's, so it is never logged or audited.
  std::string url;
  // secret_file is the file as written: a relative path inside the node's
  // home. secret_path is it resolved against the config's directory.
  std::string secret_file;
  std::string secret_path;
  // secret_env names an environment variable holding the secret.
  std::string secret_env;
  // events are the events sent, in config order, without repeats; all of
  // them when the key is absent.
  std::vector<WebhookEvent> events;
  // max_attempts is how many times a delivery is tried before it is given
  // up (and a webhook_failed audit record written). 1 to 100.
  uint32_t max_attempts = 8;
  // timeout_seconds bounds connecting and each read and write. 1 to 300.
  uint32_t timeout_seconds = 10;
};

// Config is a validated configuration: every peer a member names exists,
// every dataset an alliance names exists and is at or under its ceiling,
// every schedule's job is allowed by its alliance, and every webhook has a
// usable URL and one source for its secret.
struct Config {
  NodeSection node;
  std::map<std::string, PeerConfig> peers;
  std::map<std::string, DatasetConfig> datasets;
  std::map<std::string, AllianceConfig> alliances;
  std::map<std::string, ScheduleConfig> schedules;
  std::map<std::string, WebhookConfig> webhooks;
};

// ParseConfig parses and validates the TOML `text`. `source_name` is the
// file name used in messages; relative dataset paths are resolved against
// `base_dir`. On failure it returns InvalidArgument whose message lists
// every error, one a line, "<source_name>:<line>: <key>: <what is wrong>":
// unknown keys first (naming the key a misspelt one resembles), then the
// others in file order.
absl::StatusOr<Config> ParseConfig(std::string_view text,
                                   const std::string& source_name,
                                   const std::string& base_dir);

// LoadConfig reads and parses `path` (relative datasets resolve against its
// directory). NotFound if the file is missing, InvalidArgument as for
// ParseConfig or when the file is over 1 MiB.
absl::StatusOr<Config> LoadConfig(const std::string& path);

// IsValidName reports whether `name` may name a node, peer, dataset or
// alliance: 1 to 64 of A-Z a-z 0-9 '.' '_' '-', not starting with '.' or
// '-'. Names appear in URLs and audit records, so they are kept plain.
bool IsValidName(std::string_view name);

}  // namespace liaison::node

#endif  // LIAISON_NODE_CONFIG_H_
