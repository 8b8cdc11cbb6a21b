// liaison: the command line. Flags are parsed here and nowhere else; the
// work is done by the Run* functions of cli/commands.h.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "base/version.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace {

void AddInputFlags(CLI::App* cmd, liaison::cli::InputOptions& in) {
  cmd->add_option("--input,-i", in.path, "input file (text, CSV or JSON lines)")->required();
  cmd->add_option("--format", in.format, "text, csv or jsonl (default: by file extension)")
      ->check(CLI::IsMember({"text", "csv", "jsonl"}));
  cmd->add_option("--column", in.column, "CSV column holding the items (by header name)");
  cmd->add_option("--field", in.field, "JSON-lines field holding the items");
  cmd->add_option("--type,-t", in.type,
                  "item type: auto, ipv4, ipv6, cidr, domain, url, email, md5, sha1, "
                  "sha256, sha512, string (default: auto, per record)");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace liaison::cli;
  CLI::App app{"liaison: answer joint questions over data that cannot be shared"};
  app.set_version_flag("--version", std::string("liaison ") + liaison::kVersion);
  app.require_subcommand(1);

  KeygenOptions keygen;
  auto* keygen_cmd = app.add_subcommand("keygen", "create this node's Ed25519 identity");
  keygen_cmd->add_option("--out,-o", keygen.out_dir, "directory for node.key and node.crt")
      ->required();

  FingerprintOptions fingerprint;
  auto* fingerprint_cmd =
      app.add_subcommand("fingerprint", "print a certificate's (or identity's) fingerprint");
  fingerprint_cmd->add_option("path", fingerprint.path, "certificate file or identity directory")
      ->required();

  NormalizeOptions normalize;
  auto* normalize_cmd = app.add_subcommand(
      "normalize", "show what each record of a file becomes, and every record rejected");
  AddInputFlags(normalize_cmd, normalize.input);
  normalize_cmd->add_option("--output,-o", normalize.output,
                            "also write the normalised records (.csv or .jsonl)");
  normalize_cmd->add_option("--rejects", normalize.rejects_path,
                            "write every rejected record to this CSV (the terminal shows the "
                            "first 20)");
  normalize_cmd->add_flag("--strict", normalize.strict, "fail if any record is rejected");

  auto* profile_cmd = app.add_subcommand(
      "profile", "print the normalisation profile's definition and digest");

  auto* version_cmd = app.add_subcommand(
      "version", "print the version, the commit and this build's digest (sha256 of the binary)");

  PsiOptions psi;
  auto* psi_cmd = app.add_subcommand("psi", "privately match this side's items with a peer's");
  auto* listen = psi_cmd->add_option("--listen", psi.listen, "wait for the peer on ADDR:PORT");
  auto* connect = psi_cmd->add_option("--connect", psi.connect, "connect to the peer at HOST:PORT");
  listen->excludes(connect);
  psi_cmd->add_option("--identity", psi.identity_dir, "this node's identity directory")
      ->required();
  psi_cmd->add_option("--peer", psi.peer, "the peer's key fingerprint (sha256:...)")->required();
  AddInputFlags(psi_cmd, psi.input);
  psi_cmd->add_option("--output,-o", psi.output,
                      "result file: .csv or .jsonl rows (match), .json (count, sum)");
  psi_cmd->add_option("--mode", psi.mode,
                      "match: the shared items; count: only how many (noised with --epsilon); "
                      "sum: a noised total of the values side's values over the shared items")
      ->check(CLI::IsMember({"match", "count", "sum"}));
  psi_cmd->add_option("--epsilon", psi.epsilon,
                      "differential privacy: epsilon of the noised count (count mode) or sum "
                      "(sum mode), e.g. 0.5; required for sum");
  psi_cmd->add_option("--delta", psi.delta,
                      "use the discrete Gaussian, calibrated to (epsilon, delta), e.g. 1e-6 "
                      "(default: discrete Laplace, pure epsilon)");
  psi_cmd->add_option("--count-epsilon", psi.count_epsilon,
                      "sum mode: also release a noised count with this epsilon (the job "
                      "costs epsilon + count-epsilon)");
  psi_cmd->add_option("--bounds", psi.bounds,
                      "sum mode: LO:HI, each value is clamped to it (both sides give the same)");
  psi_cmd->add_option("--value-column", psi.value_column,
                      "sum mode, the side with values: CSV column of integer values");
  psi_cmd->add_option("--value-field", psi.value_field,
                      "sum mode, the side with values: JSON-lines field of integer values");
  psi_cmd->add_option("--result-to", psi.result_to, "who learns the result: both, me or peer")
      ->check(CLI::IsMember({"both", "me", "peer"}));
  psi_cmd->add_option("--security", psi.security,
                      "semi-honest (default) or malicious (rr22 only; checks every "
                      "step of the peer, about 1.1x the time and 1.2x the bytes)")
      ->check(CLI::IsMember({"semi-honest", "malicious"}));
  psi_cmd->add_option("--protocol", psi.protocol,
                      "rr22 (default) or ecdh (match and exact count only)")
      ->check(CLI::IsMember({"rr22", "rr22-psi", "ecdh", "ecdh-psi"}));
  psi_cmd->add_option("--rejects", psi.rejects_path,
                      "write every rejected record to this CSV (the terminal shows the first 20)");
  psi_cmd->add_option("--summary-json", psi.summary_json, "write the run's summary as JSON");
  psi_cmd->add_option("--timeout", psi.timeout_seconds,
                      "seconds to wait for the peer to connect or answer (default 60)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  psi_cmd->add_option("--max-peer-items", psi.max_peer_items,
                      "refuse a peer bringing more distinct items than this");
  psi_cmd->add_option("--require-build", psi.require_build,
                      "refuse a peer whose build digest is not this one (sha256:..., as "
                      "`liaison version` prints it); repeat to accept several")
      ->allow_extra_args(false);
  psi_cmd->add_option("--threads", psi.threads, "worker threads (default: all cores)");
  psi_cmd->add_flag("--quiet,-q", psi.quiet, "no progress or summary on the terminal");

  QuorumOptions quorum;
  auto* quorum_cmd = app.add_subcommand(
      "quorum", "find which of this member's items at least T members of a group hold");
  quorum_cmd->add_option("--parties", quorum.parties_path,
                         "the parties file, the same at every member: one line per member, "
                         "NAME HOST:PORT sha256:FINGERPRINT; the first is party 0")
      ->required();
  quorum_cmd->add_option("--me", quorum.me, "this member's NAME in the parties file")->required();
  quorum_cmd->add_option("--identity", quorum.identity_dir, "this member's identity directory")
      ->required();
  AddInputFlags(quorum_cmd, quorum.input);
  quorum_cmd->add_option("--output,-o", quorum.output,
                         "write the qualifying records with their holder count (.csv, or "
                         ".jsonl for JSON lines); with --count-only, the count as JSON")
      ->required();
  quorum_cmd->add_option("--threshold", quorum.threshold,
                         "T: report items held by at least T members (default: all of them)")
      ->check(CLI::PositiveNumber);
  quorum_cmd->add_flag("--hide-count", quorum.hide_count,
                       "members learn which items qualify, not how many members hold them");
  quorum_cmd->add_flag("--count-only", quorum.count_only,
                       "members learn only how many distinct items at least T members hold, "
                       "not which (every member receives the count)");
  quorum_cmd->add_option("--epsilon", quorum.epsilon,
                         "with --count-only: each member adds noise that alone makes the count "
                         "epsilon-differentially private, e.g. 0.5");
  quorum_cmd->add_option("--delta", quorum.delta,
                         "with --epsilon: the discrete Gaussian, calibrated to (epsilon, delta), "
                         "e.g. 1e-6 (default: discrete Laplace, pure epsilon)");
  quorum_cmd->add_option("--reveal", quorum.reveal,
                         "holders (default): a qualifying item is reported to its holders only; "
                         "all: every member learns every qualifying item AND which members hold "
                         "it (traceable)")
      ->check(CLI::IsMember({"holders", "all"}));
  quorum_cmd->add_option("--others", quorum.others_path,
                         "with --reveal all: write the qualifying items this member does not "
                         "hold (hex item, holders) to this CSV");
  quorum_cmd->add_option("--rejects", quorum.rejects_path,
                         "write every rejected record to this CSV (the terminal shows the first 20)");
  quorum_cmd->add_option("--timeout", quorum.timeout_seconds,
                         "seconds for every member to connect (default 60)");
  quorum_cmd->add_option("--max-peer-items", quorum.max_peer_items,
                         "refuse the job if any member brings more distinct items");
  quorum_cmd->add_option("--threads", quorum.threads, "worker threads per peer (default: 1)");
  quorum_cmd->add_flag("--quiet,-q", quorum.quiet, "no progress or summary on the terminal");

  auto* node_cmd = app.add_subcommand("node", "create, check and run a liaison node");
  node_cmd->require_subcommand(1);
  NodeInitOptions node_init;
  auto* node_init_cmd = node_cmd->add_subcommand(
      "init", "create a node: identity, commented config liaison.toml, store node.db");
  node_init_cmd->add_option("dir", node_init.dir, "the node's home directory (created, mode 0700)")
      ->required();
  node_init_cmd->add_option("--name", node_init.name,
                            "the node's name (default: the directory's name)");
  NodeCheckOptions node_check;
  auto* node_check_cmd = node_cmd->add_subcommand("check", "load and validate DIR/liaison.toml");
  node_check_cmd->add_option("dir", node_check.dir, "the node's home directory")->required();
  NodeRunOptions node_run;
  auto* node_run_cmd = node_cmd->add_subcommand(
      "run", "run the node: peer listener, job executor and REST API, until SIGTERM/SIGINT");
  node_run_cmd->add_option("dir", node_run.dir, "the node's home directory")->required();
  node_run_cmd->add_flag("--verbose,-v", node_run.verbose, "log informational messages too");
  node_run_cmd->add_flag("--accept-broken-audit", node_run.accept_broken_audit,
                         "start although the audit log is broken, recording each break in a "
                         "signed audit_override record (docs/audit.md)");
  auto* apikey_cmd = node_cmd->add_subcommand("apikey", "manage the REST API's keys");
  apikey_cmd->require_subcommand(1);
  ApiKeyCreateOptions apikey_create;
  auto* apikey_create_cmd =
      apikey_cmd->add_subcommand("create", "create an API key and print its secret once");
  apikey_create_cmd->add_option("dir", apikey_create.dir, "the node's home directory")->required();
  apikey_create_cmd->add_option("--scope", apikey_create.scope, "admin, analyst or automation")
      ->required();
  apikey_create_cmd->add_option("--label", apikey_create.label,
                                "what the key is for, e.g. \"soar\"");
  ApiKeyListOptions apikey_list;
  auto* apikey_list_cmd = apikey_cmd->add_subcommand(
      "list", "list the keys, one a line: id, scope, label, created, last used, revoked");
  apikey_list_cmd->add_option("dir", apikey_list.dir, "the node's home directory")->required();
  ApiKeyRevokeOptions apikey_revoke;
  auto* apikey_revoke_cmd =
      apikey_cmd->add_subcommand("revoke", "revoke a key: it is refused from the next request on");
  apikey_revoke_cmd->add_option("dir", apikey_revoke.dir, "the node's home directory")
      ->required();
  apikey_revoke_cmd->add_option("id", apikey_revoke.id, "the key's id (key_...)")->required();

  auto* audit_cmd = app.add_subcommand("audit", "verify and export a node's signed audit log");
  audit_cmd->require_subcommand(1);
  AuditVerifyOptions audit_verify;
  auto* audit_verify_cmd = audit_cmd->add_subcommand(
      "verify", "check the hash chain, every signature and every peer receipt");
  auto* verify_dir =
      audit_verify_cmd->add_option("dir", audit_verify.dir, "the node's home directory");
  auto* verify_export = audit_verify_cmd->add_option(
      "--export", audit_verify.export_path, "verify an export file offline instead");
  verify_dir->excludes(verify_export);
  audit_verify_cmd->add_option("--fingerprint", audit_verify.fingerprint,
                               "the node's key fingerprint as you know it (sha256:...)");
  AuditExportOptions audit_export;
  auto* audit_export_cmd =
      audit_cmd->add_subcommand("export", "write the audit log as verifiable JSON lines");
  audit_export_cmd->add_option("dir", audit_export.dir, "the node's home directory")->required();
  audit_export_cmd->add_option("--out,-o", audit_export.out, "the export file")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (*keygen_cmd) return RunKeygen(keygen);
  if (*fingerprint_cmd) return RunFingerprint(fingerprint);
  if (*normalize_cmd) return RunNormalize(normalize);
  if (*profile_cmd) return RunProfile();
  if (*version_cmd) return RunVersion();
  if (*node_init_cmd) return RunNodeInit(node_init);
  if (*node_run_cmd) return RunNodeRun(node_run);
  if (*apikey_create_cmd) return RunApiKeyCreate(apikey_create);
  if (*apikey_list_cmd) return RunApiKeyList(apikey_list);
  if (*apikey_revoke_cmd) return RunApiKeyRevoke(apikey_revoke);
  if (*node_check_cmd) return RunNodeCheck(node_check);
  if (*audit_verify_cmd) {
    if (audit_verify.dir.empty() == audit_verify.export_path.empty()) {
      std::fputs("liaison audit verify: error: give a node directory or --export FILE\n", stderr);
      return kExitUsage;
    }
    return RunAuditVerify(audit_verify);
  }
  if (*audit_export_cmd) return RunAuditExport(audit_export);
  if (*quorum_cmd) return RunQuorum(quorum);
  if (*psi_cmd) {
    if (psi.listen.empty() == psi.connect.empty()) {
      std::fputs("liaison psi: error: give exactly one of --listen ADDR:PORT or --connect HOST:PORT\n",
                 stderr);
      return kExitUsage;
    }
    return RunPsi(psi);
  }
  return kExitUsage;
}
