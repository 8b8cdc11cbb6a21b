#include "ot/internal/silent_shape.h"

#include <algorithm>

#include "base/strings.h"

namespace liaison::ot::internal {

absl::StatusOr<SilentShape> MakeSilentShape(std::string_view what, size_t n, size_t t,
                                            uint64_t expansion, int num_threads) {
  if (n == 0) return absl::InvalidArgumentError(StrCat(what, ": n must be at least 1"));
  if (t == 0) return absl::InvalidArgumentError(StrCat(what, ": noise_weight is 0"));
  if (expansion < 2) return absl::InvalidArgumentError(StrCat(what, ": expansion below 2"));
  if (num_threads < 1) return absl::InvalidArgumentError(StrCat(what, ": num_threads below 1"));
  if (n >= (size_t{1} << 32) || expansion >= (uint64_t{1} << 32) || t >= (size_t{1} << 32)) {
    return absl::InvalidArgumentError(StrCat(what, ": n, expansion or noise_weight too large"));
  }
  SilentShape s;
  s.n = n;
  s.t = t;
  s.domain = std::max<size_t>(2, (expansion * n + t - 1) / t);
  s.code_size = t * s.domain;
  if (s.code_size >= (uint64_t{1} << 32)) {
    return absl::InvalidArgumentError(
        StrCat(what, ": code size ", s.code_size, " is not below 2^32"));
  }
  s.pprf = PprfParams{t, s.domain, num_threads};
  return s;
}

absl::StatusOr<ExConvCode> MakeSilentCode(const SilentShape& shape, uint32_t expander_weight,
                                          uint32_t accumulator_window,
                                          const crypto::Block& seed) {
  ExConvParams cp;
  cp.num_messages = shape.n;
  cp.code_size = shape.code_size;
  cp.expander_weight = expander_weight;
  cp.accumulator_window = accumulator_window;
  cp.seed = seed;
  return ExConvCode::Create(cp);
}

}  // namespace liaison::ot::internal
