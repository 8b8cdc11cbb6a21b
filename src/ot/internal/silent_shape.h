// The shape shared by the silent correlations (ot/silent_vole.h,
// ot/silent_cot.h): t noise sections of D leaves each, N = t·D, one GGM
// tree per section, and the ExConv code that compresses N to n.
#ifndef LIAISON_OT_INTERNAL_SILENT_SHAPE_H_
#define LIAISON_OT_INTERNAL_SILENT_SHAPE_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/block.h"
#include "ot/lpn/ex_conv_code.h"
#include "ot/pprf.h"

namespace liaison::ot::internal {

struct SilentShape {
  size_t n = 0;          // outputs
  size_t t = 0;          // noise positions (sections, PPRF trees)
  size_t domain = 0;     // D = max(2, ceil(expansion·n / t))
  size_t code_size = 0;  // N = t·D
  PprfParams pprf;
};

// MakeSilentShape checks the parameters and computes the shape.
// InvalidArgument, prefixed with `what` ("silent vole"), for n = 0, t = 0,
// expansion below 2, num_threads below 1, or sizes that reach 2^32.
absl::StatusOr<SilentShape> MakeSilentShape(std::string_view what, size_t n, size_t t,
                                            uint64_t expansion, int num_threads);

// MakeSilentCode builds the ExConv code from N down to n.
absl::StatusOr<ExConvCode> MakeSilentCode(const SilentShape& shape, uint32_t expander_weight,
                                          uint32_t accumulator_window,
                                          const crypto::Block& seed);

// EqMask is all ones when a == b and zero otherwise, without a branch.
inline uint64_t EqMask(uint64_t a, uint64_t b) {
  const uint64_t x = a ^ b;
  return ((x | (0 - x)) >> 63) - 1;
}

}  // namespace liaison::ot::internal

#endif  // LIAISON_OT_INTERNAL_SILENT_SHAPE_H_
