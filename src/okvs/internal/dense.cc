#include "okvs/internal/dense.h"

#include "base/cpu.h"

#include <cstdlib>
#include <cstring>

namespace liaison::okvs::internal {

bool DensePclmulAvailable() {
#if LIAISON_OKVS_HAVE_PCLMUL
  static const bool available = [] {
    if (EnvFlagSet("LIAISON_NO_PCLMUL")) return false;
    return CpuFeatureBits().pclmul;
  }();
  return available;
#else
  return false;
#endif
}

void DenseEvalPortable(absl::Span<const Block> coeffs, absl::Span<const Block> dense,
                       absl::Span<Block> out) {
  const uint32_t g = static_cast<uint32_t>(dense.size());
  for (size_t i = 0; i < coeffs.size(); ++i) {
    out[i] = g == 0 ? Block() : PortableGf::Horner(coeffs[i], dense.data(), g);
  }
}

void DenseEval(absl::Span<const Block> coeffs, absl::Span<const Block> dense,
               absl::Span<Block> out) {
#if LIAISON_OKVS_HAVE_PCLMUL
  if (DensePclmulAvailable()) return DenseEvalPclmul(coeffs, dense, out);
#endif
  DenseEvalPortable(coeffs, dense, out);
}

}  // namespace liaison::okvs::internal
