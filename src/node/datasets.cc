#include "node/datasets.h"

#include <algorithm>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "node/internal/util.h"

namespace liaison::node {

void ForEachSortedKey(std::vector<const std::string*> keys,
                      const std::function<void(std::string_view)>& sink) {
  std::sort(keys.begin(), keys.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  for (const std::string* k : keys) {
    const uint32_t len = static_cast<uint32_t>(k->size());
    const char header[4] = {static_cast<char>(len >> 24), static_cast<char>(len >> 16),
                            static_cast<char>(len >> 8), static_cast<char>(len)};
    sink(std::string_view(header, 4));
    sink(*k);
  }
}

absl::StatusOr<LoadedDataset> LoadDataset(const DatasetConfig& dataset,
                                          const data::Profile& profile, Clock::TimePoint now) {
  data::InputSpec spec;
  spec.path = dataset.resolved_path;
  spec.format = dataset.format;
  spec.column = dataset.column;
  spec.field = dataset.field;
  spec.value_column = dataset.value_column;
  spec.value_field = dataset.value_field;
  spec.type = dataset.type;
  LoadedDataset out;
  absl::StatusOr<session::RecordSet> set =
      session::LoadRecordSet(spec, profile, [](const data::Reject&) {});
  if (!set.ok()) {
    return absl::Status(set.status().code(),
                        StrCat("dataset ", dataset.name, ": ", std::string(set.status().message())));
  }
  out.set = *std::move(set);

  std::vector<const std::string*> keys;
  keys.reserve(out.set.keys.size());
  for (const std::string& k : out.set.keys) keys.push_back(&k);
  crypto::Sha256Hasher h;
  h.Update("liaison-dataset-v1\n");
  ForEachSortedKey(std::move(keys), [&](std::string_view piece) { h.Update(piece); });
  crypto::Digest256 d = h.Finish();
  out.info.name = dataset.name;
  out.info.digest = ToHex(d);
  out.info.num_records = out.set.records.size();
  out.info.num_distinct = out.set.keys.size();
  out.info.num_rejected = out.set.num_rejected;
  out.info.read_at = internal::Rfc3339At(now);
  return out;
}

void DatasetCatalog::Remember(const DatasetInfo& info) {
  std::lock_guard<std::mutex> lock(mu_);
  infos_[info.name] = info;
}

DatasetInfo DatasetCatalog::Get(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = infos_.find(name);
  if (it != infos_.end()) return it->second;
  DatasetInfo info;
  info.name = name;
  return info;
}

}  // namespace liaison::node
