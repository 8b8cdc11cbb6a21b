#include "cli/json_file.h"

#include "base/status.h"

namespace liaison::cli {

absl::Status CommitJson(AtomicFile& file, const nlohmann::json& j) {
  LIAISON_RETURN_IF_ERROR(file.Write(j.dump(2) + "\n"));
  return file.Commit();
}

absl::Status WriteJsonAtomically(const std::string& path, const nlohmann::json& j) {
  LIAISON_ASSIGN_OR_RETURN(auto file, AtomicFile::Create(path));
  return CommitJson(*file, j);
}

}  // namespace liaison::cli
