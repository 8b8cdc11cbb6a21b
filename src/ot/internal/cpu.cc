#include "ot/internal/cpu.h"

#include "base/cpu.h"

namespace liaison::ot::internal {

const CpuFeatures& Cpu() {
  static const CpuFeatures features = [] {
    CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
    const CpuId& id = CpuFeatureBits();
    f.pclmul = id.pclmul;
    f.avx2 = id.avx2 && OsSavesYmmState();
    f.avx512bw = id.avx512f && id.avx512bw && OsSavesZmmState();
#endif
    return f;
  }();
  return features;
}

bool NoAvx512() {
  static const bool no = EnvFlagSet("LIAISON_NO_AVX512");
  return no;
}

}  // namespace liaison::ot::internal
