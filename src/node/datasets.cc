#include "node/datasets.h"

#include <algorithm>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "node/internal/util.h"

namespace liaison::node {

absl::StatusOr<LoadedDataset> LoadDataset(const DatasetConfig& dataset,
                                          const data::Profile& profile) {
  data::InputSpec spec;
  spec.path = dataset.resolved_path;
  spec.format = dataset.format;
  spec.column = dataset.column;
  spec.field = dataset.field;
  spec.type = dataset.type;
  LoadedDataset out;
  absl::StatusOr<session::RecordSet> set =
      session::LoadRecordSet(spec, profile, [](const data::Reject&) {});
  if (!set.ok()) {
    return absl::Status(set.status().code(),
                        StrCat("dataset ", dataset.name, ": ", std::string(set.status().message())));
  }
  out.set = *std::move(set);

  std::vector<const std::string*> sorted;
  sorted.reserve(out.set.keys.size());
  for (const std::string& k : out.set.keys) sorted.push_back(&k);
  std::sort(sorted.begin(), sorted.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  crypto::Sha256Hasher h;
  h.Update("liaison-dataset-v1\n");
  for (const std::string* k : sorted) {
    const uint32_t len = static_cast<uint32_t>(k->size());
    const uint8_t header[4] = {static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
                               static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)};
    h.Update(ByteSpan(header, 4));
    h.Update(*k);
  }
  crypto::Digest256 d = h.Finish();
  out.info.name = dataset.name;
  out.info.digest = ToHex(d);
  out.info.num_records = out.set.records.size();
  out.info.num_distinct = out.set.keys.size();
  out.info.num_rejected = out.set.num_rejected;
  out.info.read_at = internal::Rfc3339Now();
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
