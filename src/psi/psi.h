// What every two-party PSI protocol of psi/ shares: what a run is asked
// to output, how it reports progress, and its result.
#ifndef LIAISON_PSI_PSI_H_
#define LIAISON_PSI_PSI_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace liaison::psi {

// PsiOutput is what a protocol run asks the receiving side(s) to learn.
enum class PsiOutput { kIntersection, kCardinality };

// ProgressFn reports a phase name and how many of `total` units are done.
// It is called from the protocol's thread only.
using ProgressFn =
    std::function<void(std::string_view phase, uint64_t done, uint64_t total)>;

struct PsiResult {
  // matched holds, in increasing order, the indices into the caller's items
  // that are in the intersection. Filled only for a receiving side in
  // kIntersection mode.
  std::vector<size_t> matched;
  // intersection_size is |X ∩ Y| for a receiving side, 0 otherwise.
  uint64_t intersection_size = 0;
  uint64_t peer_set_size = 0;
  bool received = false;
};

}  // namespace liaison::psi

#endif  // LIAISON_PSI_PSI_H_
