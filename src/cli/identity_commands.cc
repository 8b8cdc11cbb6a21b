// liaison keygen / liaison fingerprint.
#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "net/identity.h"

namespace liaison::cli {

int RunKeygen(const KeygenOptions& opts) {
  absl::StatusOr<std::string> fp = net::GenerateIdentity(opts.out_dir);
  if (!fp.ok()) return ReportError("keygen", fp.status());
  std::printf("identity written to %s (node.key, node.crt)\nfingerprint: %s\n",
              opts.out_dir.c_str(), fp->c_str());
  return kExitOk;
}

int RunFingerprint(const FingerprintOptions& opts) {
  std::string cert = opts.path;
  struct stat st;
  if (::stat(cert.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) cert += "/node.crt";
  absl::StatusOr<std::string> fp = net::CertificateFingerprint(cert);
  if (!fp.ok()) return ReportError("fingerprint", fp.status());
  std::printf("%s\n", fp->c_str());
  return kExitOk;
}

}  // namespace liaison::cli
