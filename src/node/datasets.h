// A node's datasets as jobs use them: each is read from its file (config.h)
// with the normalisation profile when a job needs it, so a job always
// matches the file as it is now. What the REST API shows of a dataset is
// its digest and counts, never its items.
#ifndef LIAISON_NODE_DATASETS_H_
#define LIAISON_NODE_DATASETS_H_

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "data/profile.h"
#include "node/clock.h"
#include "node/config.h"
#include "session/record_set.h"

namespace liaison::node {

// DatasetInfo is what may be shown of a dataset.
struct DatasetInfo {
  std::string name;
  // digest is SHA-256 (64 hex) of "liaison-dataset-v1\n" followed by the
  // sorted distinct match keys, each as a u32 big-endian length and its
  // bytes: it changes when the set of canonical items changes and not when
  // only order, duplicates or spelling do. It stays in this node's audit log
  // and is never sent to a peer (a peer could test a guess of a small set).
  std::string digest;
  uint64_t num_records = 0;   // valid records read
  uint64_t num_distinct = 0;  // distinct canonical items (the set size)
  uint64_t num_rejected = 0;  // records that could not be normalised
  std::string read_at;        // RFC 3339 UTC
};

struct LoadedDataset {
  session::RecordSet set;
  DatasetInfo info;
};

// ForEachSortedKey calls `sink` with the pieces of the canonical encoding
// of a set of match keys: the keys in sorted order, each as a u32
// big-endian length and its bytes. Dataset digests and result commitments
// hash it.
void ForEachSortedKey(std::vector<const std::string*> keys,
                      const std::function<void(std::string_view)>& sink);

// LoadDataset reads `dataset` with `profile`; `now` (the node's clock) is
// its info's read_at. Errors are the reader's (NotFound for a missing file,
// InvalidArgument for a file without a valid record, ...); messages name
// the dataset, never an item.
absl::StatusOr<LoadedDataset> LoadDataset(const DatasetConfig& dataset,
                                          const data::Profile& profile, Clock::TimePoint now);

// DatasetCatalog remembers the last DatasetInfo of each dataset, for the
// REST API. Thread-safe.
class DatasetCatalog {
 public:
  void Remember(const DatasetInfo& info);
  // Get returns the last info of `name`, or an info holding only the name
  // if it was never read.
  DatasetInfo Get(const std::string& name) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, DatasetInfo> infos_;
};

}  // namespace liaison::node

#endif  // LIAISON_NODE_DATASETS_H_
