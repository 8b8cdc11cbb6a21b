// Writing a command's JSON result file: pretty-printed, one trailing
// newline, and atomically (base/atomic_file.h), so that a reader never
// sees half a result and a failed run leaves the old file untouched.
#ifndef LIAISON_CLI_JSON_FILE_H_
#define LIAISON_CLI_JSON_FILE_H_

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "base/atomic_file.h"

namespace liaison::cli {

// CommitJson writes `j` to `file` and commits it (AtomicFile's errors).
absl::Status CommitJson(AtomicFile& file, const nlohmann::json& j);

// WriteJsonAtomically creates `path` and commits `j` to it.
absl::Status WriteJsonAtomically(const std::string& path, const nlohmann::json& j);

}  // namespace liaison::cli

#endif  // LIAISON_CLI_JSON_FILE_H_
