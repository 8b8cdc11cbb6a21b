#include "ot/internal/cpu.h"

#include "base/cpu.h"

namespace liaison::ot::internal {

const CpuFeatures& Cpu() {
  static const CpuFeatures features = [] {
    CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    f.pclmul = __builtin_cpu_supports("pclmul");
    f.avx2 = __builtin_cpu_supports("avx2") && OsSavesYmmState();
    f.avx512bw = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 OsSavesZmmState();
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
