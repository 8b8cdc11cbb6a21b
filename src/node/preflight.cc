#include "node/preflight.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "base/strings.h"
#include "node/webhook.h"

namespace liaison::node {
namespace {

std::string ErrnoText(int err) {
  char buf[128];
  return strerror_r(err, buf, sizeof(buf));
}

absl::Status CheckDatasetFile(const DatasetConfig& ds) {
  const std::string where =
      StrCat("datasets.", ds.name, ".file: ", ds.file,
             ds.file == ds.resolved_path ? std::string() : StrCat(" (", ds.resolved_path, ")"));
  struct stat st;
  if (stat(ds.resolved_path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(StrCat(where, " does not exist"));
    return absl::FailedPreconditionError(StrCat(where, ": ", ErrnoText(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(StrCat(where, " is not a regular file"));
  }
  const int fd = open(ds.resolved_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::FailedPreconditionError(StrCat(where, " cannot be read: ", ErrnoText(errno)));
  }
  close(fd);
  return absl::OkStatus();
}

}  // namespace

std::vector<absl::Status> PreflightProblems(const Config& config) {
  std::vector<absl::Status> problems;
  for (const auto& [name, ds] : config.datasets) {
    absl::Status s = CheckDatasetFile(ds);
    if (!s.ok()) problems.push_back(std::move(s));
  }
  for (const auto& [name, hook] : config.webhooks) {
    absl::StatusOr<SecretBytes> secret = LoadWebhookSecret(hook);
    if (!secret.ok()) {
      problems.push_back(absl::Status(secret.status().code(),
                                      StrCat("webhooks.", name, ": ", std::string(secret.status().message()))));
    }
  }
  return problems;
}

}  // namespace liaison::node
