#include "session/record_set.h"

#include "absl/container/flat_hash_map.h"
#include "base/status.h"
#include "base/strings.h"

namespace liaison::session {

std::vector<size_t> RecordSet::RecordsOfKeys(const std::vector<size_t>& key_indices) const {
  std::vector<bool> wanted(keys.size(), false);
  for (size_t k : key_indices) wanted[k] = true;
  std::vector<size_t> out;
  for (size_t i = 0; i < records.size(); ++i) {
    if (wanted[record_key[i]]) out.push_back(i);
  }
  return out;
}

absl::StatusOr<RecordSet> LoadRecordSet(
    const data::InputSpec& spec, const data::Profile& profile,
    const std::function<void(const data::Reject&)>& on_reject) {
  RecordSet set;
  absl::flat_hash_map<std::string, uint32_t> index;
  LIAISON_RETURN_IF_ERROR(data::ReadInput(
      spec, profile,
      [&](data::Record&& r) {
        std::string key = data::MatchKey(r.item);
        auto [it, inserted] = index.try_emplace(key, static_cast<uint32_t>(set.keys.size()));
        if (inserted) set.keys.push_back(std::move(key));
        set.record_key.push_back(it->second);
        set.records.push_back(std::move(r));
      },
      [&](data::Reject&& r) {
        ++set.num_rejected;
        if (on_reject) on_reject(r);
      }));
  if (set.records.empty()) {
    return absl::InvalidArgumentError(
        StrCat(spec.path, " has no valid record (", set.num_rejected, " rejected)"));
  }
  return set;
}

}  // namespace liaison::session
