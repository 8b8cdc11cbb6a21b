// liaison node init / node check / audit verify / audit export.
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "net/identity.h"
#include "node/audit.h"
#include "node/config.h"
#include "node/home.h"
#include "node/store.h"

namespace liaison::cli {
namespace {

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
  if (!r.ok()) return ReportError("node init", r.status());
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
  if (!config.ok()) return ReportError("node check", config.status());
  std::printf("config OK: node %s, %zu peers, %zu datasets, %zu alliances\n",
              config->node.name.c_str(), config->peers.size(), config->datasets.size(),
              config->alliances.size());
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
