// liaison version: which build this is, in the three lines a partner
// compares before listing it in require_build (docs/trust.md).
#include <cstdio>
#include <string>

#include "base/build_info.h"
#include "base/version.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace liaison::cli {

int RunVersion() {
  std::printf("liaison %s\n", kVersion);
  std::printf("commit %s\n", kCommit);  // "unknown" outside git
  std::fflush(stdout);
  absl::StatusOr<std::string> build = BuildDigest();
  if (!build.ok()) return ReportError("version", build.status());
  std::printf("build %s\n", build->c_str());
  return kExitOk;
}

}  // namespace liaison::cli
