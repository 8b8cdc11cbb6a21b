// The subcommands of `liaison`. Each Run* function takes parsed options,
// does the work through the lower layers, prints for a person, and returns
// the process exit code (cli/exit_codes.h).
#ifndef LIAISON_CLI_COMMANDS_H_
#define LIAISON_CLI_COMMANDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace liaison::cli {

struct KeygenOptions {
  std::string out_dir;
};
int RunKeygen(const KeygenOptions& opts);

struct FingerprintOptions {
  std::string path;  // a certificate file or an identity directory
};
int RunFingerprint(const FingerprintOptions& opts);

// InputOptions select and interpret one input file.
struct InputOptions {
  std::string path;
  std::string format;  // "", "text", "csv", "jsonl"
  std::string column;
  std::string field;
  std::string type;    // "" or "auto": detect per record
};

struct NormalizeOptions {
  InputOptions input;
  std::string output;  // optional: write the normalised records (.csv / .jsonl)
  std::string rejects_path;  // optional: every rejected record, CSV
  bool strict = false; // any rejected record is an error
};
int RunNormalize(const NormalizeOptions& opts);

// RunProfile prints the normalisation profile: name, version, digest and the
// full definition text the digest is computed from.
int RunProfile();

// RunVersion prints three lines: "liaison <version>", "commit <full hash>"
// (or "commit unknown" for a build outside git) and "build sha256:<hex>",
// the digest of the running executable (base/build_info.h).
int RunVersion();

struct PsiOptions {
  std::string listen;    // ADDR:PORT
  std::string connect;   // HOST:PORT
  std::string identity_dir;
  std::string peer;      // the peer's fingerprint
  InputOptions input;
  std::string output;
  std::string mode = "match";
  std::string result_to = "both";
  std::string security = "semi-honest";
  std::string protocol;  // "" picks rr22
  // Differential privacy (count and sum modes): --epsilon turns count into
  // a noised count; sum needs it. Exact decimal text, parsed by dp/.
  std::string epsilon;
  std::string delta;          // "" : discrete Laplace; else discrete Gaussian
  std::string count_epsilon;  // sum mode: also release a noised count
  std::string bounds;         // sum mode: "LO:HI"
  std::string value_column;   // sum mode, values side: CSV column of integers
  std::string value_field;    // sum mode, values side: JSON-lines field
  std::string rejects_path;   // optional: every rejected record, CSV
  std::string summary_json;   // optional: the run's summary as JSON
  double timeout_seconds = 60;
  uint64_t max_peer_items = 0;  // 0: no limit
  // require_build: the peer builds accepted ("sha256:<hex>", as `liaison
  // version` prints them); empty accepts any.
  std::vector<std::string> require_build;
  int threads = 0;
  bool quiet = false;
};
int RunPsi(const PsiOptions& opts);

// ProtocolFor maps --protocol to a protocol name: "" (the default), "rr22"
// and "rr22-psi" give "rr22-psi", in match and count mode alike; "ecdh" and
// "ecdh-psi" give "ecdh-psi". Anything else is InvalidArgument naming the
// flag: a typo must not silently run another protocol.
absl::StatusOr<std::string> ProtocolFor(const PsiOptions& opts);

struct QuorumOptions {
  std::string parties_path;  // the parties file (session/parties.h)
  std::string me;            // our name in it
  std::string identity_dir;
  InputOptions input;
  std::string output;        // required: CSV, or JSON lines for .jsonl/.ndjson/.json
  int threshold = 0;         // 0: the number of members (the intersection)
  bool hide_count = false;   // members learn which items qualify, not how many hold them
  // count_only: members learn only how many distinct items qualify; the
  // output is then a JSON file.
  bool count_only = false;
  std::string epsilon;       // count_only: noise each member adds (exact decimal)
  std::string delta;         // "": discrete Laplace; else discrete Gaussian
  std::string reveal = "holders";  // "all": every member learns every qualifying item
  std::string others_path;   // reveal all: the qualifying items we do not hold, CSV
  std::string rejects_path;  // optional: every rejected record, CSV
  double timeout_seconds = 60;  // for every member to connect
  uint64_t max_peer_items = 0;  // 0: the protocol's own bound
  int threads = 0;              // per peer; 0: one
  bool quiet = false;
};
// RunQuorum is one member of a quorum job: it connects to every other member
// of the parties file over pinned TLS, agrees on the job, runs it, and
// writes this member's records held by at least `threshold` members.
int RunQuorum(const QuorumOptions& opts);

struct NodeInitOptions {
  std::string dir;
  std::string name;  // empty: the directory's name
};
// RunNodeInit creates a node home (node/home.h) and prints what to do next.
int RunNodeInit(const NodeInitOptions& opts);

struct NodeCheckOptions {
  std::string dir;
};
// RunNodeCheck loads and validates DIR/liaison.toml and prints a summary.
int RunNodeCheck(const NodeCheckOptions& opts);

struct NodeRunOptions {
  std::string dir;
  bool verbose = false;
  // accept_broken_audit starts the node over a broken audit log, recording
  // the break in an audit_override record (docs/audit.md).
  bool accept_broken_audit = false;
};
// RunNodeRun runs the node daemon and its REST API until SIGTERM or SIGINT,
// then shuts down (node/daemon.h) and returns 0.
int RunNodeRun(const NodeRunOptions& opts);

struct ApiKeyCreateOptions {
  std::string dir;
  std::string scope;
  std::string label;
};
// RunApiKeyCreate creates a REST API key, records api_key_created in the
// audit log and prints the secret once.
int RunApiKeyCreate(const ApiKeyCreateOptions& opts);

struct ApiKeyListOptions {
  std::string dir;
};
// RunApiKeyList prints every API key, one a line, tab-separated: id, scope,
// label, created, last used, revoked ("-" where there is none).
int RunApiKeyList(const ApiKeyListOptions& opts);

struct ApiKeyRevokeOptions {
  std::string dir;
  std::string id;
};
// RunApiKeyRevoke revokes the key `id` (it gets 401 from the next request
// on) and records api_key_revoked in the audit log.
int RunApiKeyRevoke(const ApiKeyRevokeOptions& opts);

struct AuditVerifyOptions {
  std::string dir;          // a node home, or
  std::string export_path;  // an export file (offline)
  std::string fingerprint;  // optional: the key the log must be signed by
};
// RunAuditVerify checks the audit chain, every signature and every receipt.
int RunAuditVerify(const AuditVerifyOptions& opts);

struct AuditExportOptions {
  std::string dir;
  std::string out;
};
// RunAuditExport writes a verified JSON-lines export of the audit log.
int RunAuditExport(const AuditExportOptions& opts);

}  // namespace liaison::cli

#endif  // LIAISON_CLI_COMMANDS_H_
