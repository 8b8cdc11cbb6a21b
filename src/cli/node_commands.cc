// liaison node init / node check / node run / node apikey create /
// audit verify / audit export.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/escape.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "net/identity.h"
#include "node/api_keys.h"
#include "node/audit.h"
#include "node/config.h"
#include "base/log.h"
#include "node/daemon.h"
#include "node/home.h"
#include "node/preflight.h"
#include "node/rest_api.h"
#include "node/store.h"

namespace liaison::cli {
namespace {

// kLocalDataLossHint: the node commands read only this node's own files, so
// a DataLoss there is not a peer's doing (the store's message says what is
// damaged).
constexpr std::string_view kLocalDataLossHint = "";

constexpr std::string_view kAuditDataLossHint =
    " (the audit log was altered or damaged after it was written)";

void PrintSummary(const node::AuditSummary& s, const std::string& fingerprint) {
  std::printf(
      "audit log OK: %llu records, %llu peer receipts; head: record %llu, hash %s\n"
      "node fingerprint: %s\n"
      "note: removal of the newest records is only detectable against an anchor kept "
      "elsewhere (a peer's receipt, a head hash you recorded); see docs/audit.md\n",
      static_cast<unsigned long long>(s.num_records),
      static_cast<unsigned long long>(s.num_receipts),
      static_cast<unsigned long long>(s.head_seq), s.head_hash.c_str(), fingerprint.c_str());
}

// NodeKey returns the node's public key from DIR/node.crt, checked against
// `expected_fingerprint` when one is given.
absl::StatusOr<net::Ed25519PublicKey> NodeKey(const std::string& dir,
                                              const std::string& expected_fingerprint,
                                              std::string* fingerprint) {
  const std::string cert = node::HomePath(dir, net::kIdentityCertFile);
  absl::StatusOr<net::Ed25519PublicKey> key = net::CertificatePublicKey(cert);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> fp = net::PublicKeyFingerprint(*key);
  if (!fp.ok()) return fp.status();
  *fingerprint = *fp;
  if (!expected_fingerprint.empty()) {
    absl::StatusOr<std::string> want = net::NormalizeFingerprint(expected_fingerprint);
    if (!want.ok()) return want.status();
    if (*want != *fp) {
      return absl::PermissionDeniedError(
          std::string("the node's key is ") + *fp + ", not the expected " + *want);
    }
  }
  return key;
}

absl::StatusOr<std::unique_ptr<node::Store>> OpenStoreReadOnly(const std::string& dir) {
  node::Store::Options options;
  options.read_only = true;
  return node::Store::Open(node::HomePath(dir, node::kStoreFile), options);
}

}  // namespace

int RunNodeInit(const NodeInitOptions& opts) {
  node::InitOptions init;
  init.name = opts.name;
  absl::StatusOr<node::InitResult> r = node::InitHome(opts.dir, init);
  if (!r.ok()) return ReportError("node init", r.status(), kLocalDataLossHint);
  std::printf(
      "node created in %s\n"
      "  identity:  node.key, node.crt\n"
      "  config:    %s\n"
      "  store:     %s\n"
      "fingerprint: %s\n"
      "Give this fingerprint to your partners out of band; add theirs, your datasets and\n"
      "alliances to the config, then check it with: liaison node check %s\n",
      opts.dir.c_str(), r->config_path.c_str(), r->store_path.c_str(), r->fingerprint.c_str(),
      opts.dir.c_str());
  return kExitOk;
}

int RunNodeCheck(const NodeCheckOptions& opts) {
  absl::StatusOr<node::Config> config =
      node::LoadConfig(node::HomePath(opts.dir, node::kConfigFile));
  if (!config.ok()) return ReportError("node check", config.status(), kLocalDataLossHint);
  // The files the config names, as `node run` will need them.
  std::vector<absl::Status> problems = node::PreflightProblems(*config);
  if (!problems.empty()) {
    std::string text = StrCat(node::HomePath(opts.dir, node::kConfigFile), ": ",
                              problems.size(), " file problem(s):");
    for (const absl::Status& p : problems) text += StrCat("\n  ", std::string(p.message()));
    return ReportError("node check", absl::Status(problems.front().code(), text),
                       kLocalDataLossHint);
  }
  std::printf("config OK: node %s, %zu peers, %zu datasets, %zu alliances\n",
              config->node.name.c_str(), config->peers.size(), config->datasets.size(),
              config->alliances.size());
  return kExitOk;
}

int RunNodeRun(const NodeRunOptions& opts) {
  SetLogLevel(opts.verbose ? LogLevel::kInfo : LogLevel::kWarning);
  // SIGTERM and SIGINT are taken by sigwait below; every thread started from
  // here inherits the mask, so none of them is interrupted by the signal.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  node::DaemonOptions options;
  options.home = opts.dir;
  options.accept_broken_audit = opts.accept_broken_audit;
  absl::StatusOr<std::unique_ptr<node::Daemon>> daemon = node::Daemon::Start(options);
  if (!daemon.ok()) return ReportError("node run", daemon.status(), kLocalDataLossHint);
  absl::StatusOr<std::unique_ptr<node::RestApi>> rest = node::RestApi::Start(**daemon);
  if (!rest.ok()) return ReportError("node run", rest.status(), kLocalDataLossHint);
  // One machine-readable line, so that scripts and tests learn the ports
  // (either may have been configured as 0).
  std::printf("%s\n", nlohmann::json{{"event", "started"},
                                     {"node", (*daemon)->config().node.name},
                                     {"fingerprint", (*daemon)->identity().fingerprint()},
                                     {"peer_port", (*daemon)->peer_port()},
                                     {"rest_port", (*rest)->port()}}
                          .dump()
                          .c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop, &sig);
  std::fprintf(stderr, "liaison node run: %s received, shutting down\n",
               sig == SIGTERM ? "SIGTERM" : "SIGINT");
  (*rest)->Stop();
  rest->reset();
  int abandoned = (*daemon)->Shutdown();
  if (abandoned != 0) {
    // Their jobs are marked failed; their threads may still wait on the
    // network, so the daemon is not destroyed under them. Every store write
    // was its own committed transaction: nothing is lost by exiting here.
    std::fprintf(stderr, "liaison node run: %d job(s) did not finish in time and were failed\n",
                 abandoned);
    std::fflush(stderr);
    std::_Exit(kExitOk);
  }
  daemon->reset();
  std::fprintf(stderr, "liaison node run: stopped\n");
  return kExitOk;
}

int RunApiKeyCreate(const ApiKeyCreateOptions& opts) {
  absl::StatusOr<node::ApiScope> scope = node::ParseApiScope(opts.scope);
  if (!scope.ok()) return ReportError("node apikey create", scope.status(), kLocalDataLossHint);
  absl::StatusOr<net::Identity> identity = net::Identity::Load(opts.dir);
  if (!identity.ok()) return ReportError("node apikey create", identity.status(), kLocalDataLossHint);
  absl::StatusOr<std::unique_ptr<node::Store>> store =
      node::Store::Open(node::HomePath(opts.dir, node::kStoreFile), {});
  if (!store.ok()) return ReportError("node apikey create", store.status(), kLocalDataLossHint);
  absl::StatusOr<node::NewApiKey> key = (*store)->CreateApiKey(*scope, opts.label);
  if (!key.ok()) return ReportError("node apikey create", key.status(), kLocalDataLossHint);
  node::AuditLog log(**store, *identity);
  node::AuditEvent e;
  e.kind = node::AuditKind::kApiKeyCreated;
  e.params_json = nlohmann::json{{"key_id", key->key.id},
                                 {"scope", node::ApiScopeName(*scope)},
                                 {"label", opts.label}}
                      .dump();
  absl::StatusOr<node::AuditRecord> rec = log.Append(e);
  if (!rec.ok()) return ReportError("node apikey create", rec.status(), kLocalDataLossHint);
  std::printf("%.*s\n", static_cast<int>(key->token.size()),
              reinterpret_cast<const char*>(key->token.data()));
  std::fprintf(stderr,
               "created API key %s (scope %s). The key above is shown only this once; "
               "the node keeps only its hash.\n",
               key->key.id.c_str(), std::string(node::ApiScopeName(*scope)).c_str());
  return kExitOk;
}

int RunApiKeyList(const ApiKeyListOptions& opts) {
  absl::StatusOr<std::unique_ptr<node::Store>> store =
      node::Store::Open(node::HomePath(opts.dir, node::kStoreFile), {});
  if (!store.ok()) return ReportError("node apikey list", store.status(), kLocalDataLossHint);
  absl::StatusOr<std::vector<node::ApiKey>> keys = (*store)->ListApiKeys();
  if (!keys.ok()) return ReportError("node apikey list", keys.status(), kLocalDataLossHint);
  auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
  for (const node::ApiKey& k : *keys) {
    // The label is the administrator's text: shown escaped, tabs included.
    std::printf("%s\t%s\t%s\t%s\t%s\t%s\n", k.id.c_str(),
                std::string(node::ApiScopeName(k.scope)).c_str(),
                or_dash(EscapeNonPrintable(k.label)).c_str(), k.created.c_str(),
                or_dash(k.last_used).c_str(), or_dash(k.revoked_at).c_str());
  }
  return kExitOk;
}

int RunApiKeyRevoke(const ApiKeyRevokeOptions& opts) {
  absl::StatusOr<net::Identity> identity = net::Identity::Load(opts.dir);
  if (!identity.ok()) return ReportError("node apikey revoke", identity.status(), kLocalDataLossHint);
  absl::StatusOr<std::unique_ptr<node::Store>> store =
      node::Store::Open(node::HomePath(opts.dir, node::kStoreFile), {});
  if (!store.ok()) return ReportError("node apikey revoke", store.status(), kLocalDataLossHint);
  node::AuditLog log(**store, *identity);
  absl::StatusOr<node::ApiKey> key =
      node::RevokeApiKeyAudited(**store, log, opts.id, node::kActorCli);
  if (!key.ok()) return ReportError("node apikey revoke", key.status(), kLocalDataLossHint);
  std::printf("revoked API key %s (scope %s) at %s\n", key->id.c_str(),
              std::string(node::ApiScopeName(key->scope)).c_str(), key->revoked_at.c_str());
  return kExitOk;
}

int RunAuditVerify(const AuditVerifyOptions& opts) {
  if (!opts.export_path.empty()) {
    absl::StatusOr<node::VerifiedExport> v =
        node::VerifyAuditExport(opts.export_path, opts.fingerprint);
    if (!v.ok()) return ReportError("audit verify", v.status(), kAuditDataLossHint);
    PrintSummary(v->summary, v->node_fingerprint);
    if (opts.fingerprint.empty()) {
      std::printf(
          "warning: the key was taken from the export itself; pass --fingerprint with the "
          "node's fingerprint as you know it to check whose log this is\n");
    }
    return kExitOk;
  }
  std::string fingerprint;
  absl::StatusOr<net::Ed25519PublicKey> key = NodeKey(opts.dir, opts.fingerprint, &fingerprint);
  if (!key.ok()) return ReportError("audit verify", key.status());
  absl::StatusOr<std::unique_ptr<node::Store>> store = OpenStoreReadOnly(opts.dir);
  if (!store.ok()) return ReportError("audit verify", store.status(), kAuditDataLossHint);
  absl::StatusOr<node::AuditSummary> s = node::VerifyAuditLog(**store, *key);
  if (!s.ok()) return ReportError("audit verify", s.status(), kAuditDataLossHint);
  PrintSummary(*s, fingerprint);
  return kExitOk;
}

int RunAuditExport(const AuditExportOptions& opts) {
  std::string fingerprint;
  absl::StatusOr<net::Ed25519PublicKey> key = NodeKey(opts.dir, "", &fingerprint);
  if (!key.ok()) return ReportError("audit export", key.status());
  absl::StatusOr<std::unique_ptr<node::Store>> store = OpenStoreReadOnly(opts.dir);
  if (!store.ok()) return ReportError("audit export", store.status(), kAuditDataLossHint);
  absl::StatusOr<node::AuditSummary> s = node::ExportAuditLog(**store, *key, opts.out);
  if (!s.ok()) return ReportError("audit export", s.status(), kAuditDataLossHint);
  std::printf("exported %llu audit records (head: record %llu, hash %s) to %s\n",
              static_cast<unsigned long long>(s->num_records),
              static_cast<unsigned long long>(s->head_seq), s->head_hash.c_str(),
              opts.out.c_str());
  return kExitOk;
}

}  // namespace liaison::cli
