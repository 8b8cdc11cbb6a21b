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

absl::StatusOr<int64_t> ParseWholeNumber(std::string_view text) {
  std::string_view digits = text;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (negative) digits.remove_prefix(1);
  if (digits.empty() || digits.size() > 19) {
    return absl::InvalidArgumentError("not a whole number within int64");
  }
  uint64_t magnitude = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return absl::InvalidArgumentError("not a whole number");
    magnitude = magnitude * 10 + static_cast<uint64_t>(c - '0');
  }
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (magnitude > limit) return absl::InvalidArgumentError("outside int64");
  return negative ? static_cast<int64_t>(uint64_t{0} - magnitude)
                  : static_cast<int64_t>(magnitude);
}

absl::StatusOr<RecordSet> LoadRecordSet(
    const data::InputSpec& spec, const data::Profile& profile,
    const std::function<void(const data::Reject&)>& on_reject) {
  RecordSet set;
  absl::flat_hash_map<std::string, uint32_t> index;
  const bool with_values = !spec.value_column.empty() || !spec.value_field.empty();
  absl::Status bad_value;
  LIAISON_RETURN_IF_ERROR(data::ReadInput(
      spec, profile,
      [&](data::Record&& r) {
        int64_t value = 0;
        if (with_values) {
          if (!bad_value.ok()) return;
          absl::StatusOr<int64_t> v = ParseWholeNumber(r.value.value_or(""));
          if (!v.ok()) {
            std::string shown = r.value.value_or("").substr(0, 40);
            bad_value = absl::InvalidArgumentError(
                StrCat(spec.path, " line ", r.line, ": value \"", shown, "\" is ",
                       std::string(v.status().message()),
                       "; values must be integers (e.g. amounts in cents)"));
            return;
          }
          value = *v;
        }
        std::string key = data::MatchKey(r.item);
        auto [it, inserted] = index.try_emplace(key, static_cast<uint32_t>(set.keys.size()));
        if (inserted) {
          set.keys.push_back(std::move(key));
          if (with_values) set.key_values.push_back(0);
        }
        if (with_values) {
          int64_t& sum = set.key_values[it->second];
          if (__builtin_add_overflow(sum, value, &sum)) sum = value > 0 ? INT64_MAX : INT64_MIN;
        }
        set.record_key.push_back(it->second);
        set.records.push_back(std::move(r));
      },
      [&](data::Reject&& r) {
        ++set.num_rejected;
        if (on_reject) on_reject(r);
      }));
  LIAISON_RETURN_IF_ERROR(bad_value);
  if (set.records.empty()) {
    return absl::InvalidArgumentError(
        StrCat(spec.path, " has no valid record (", set.num_rejected, " rejected)"));
  }
  return set;
}

}  // namespace liaison::session
