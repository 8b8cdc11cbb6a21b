// Preflight: what `liaison node check` finds wrong with a parsed config's
// files before `liaison node run` would meet it.
#ifndef LIAISON_NODE_PREFLIGHT_H_
#define LIAISON_NODE_PREFLIGHT_H_

#include <vector>

#include "absl/status/status.h"
#include "node/config.h"

namespace liaison::node {

// PreflightProblems checks the files `config` names: every dataset's file
// must be a regular file this process can read (NotFound if it is missing,
// FailedPrecondition otherwise), and every webhook's secret must load
// (LoadWebhookSecret: the file exists with mode 0600, or the variable is
// set). Each problem names the table and the file or variable; none is
// about the files' contents, which the node reads when a job needs them.
std::vector<absl::Status> PreflightProblems(const Config& config);

}  // namespace liaison::node

#endif  // LIAISON_NODE_PREFLIGHT_H_
