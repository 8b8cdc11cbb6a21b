#include "ot/internal/cpu.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace liaison::ot::internal {
namespace {

#if defined(__x86_64__) || defined(__i386__)
// OsSavesState reports whether the OS enables the register state in `mask`
// (XCR0 bits) after checking OSXSAVE.
bool OsSavesState(uint32_t mask) {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  if ((ecx & (1u << 27)) == 0) return false;
  uint32_t xcr0_lo = 0, xcr0_hi = 0;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  return (xcr0_lo & mask) == mask;
}
#endif

}  // namespace

const CpuFeatures& Cpu() {
  static const CpuFeatures features = [] {
    CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    constexpr uint32_t kYmm = (1u << 1) | (1u << 2);
    constexpr uint32_t kZmm = kYmm | (1u << 5) | (1u << 6) | (1u << 7);
    f.pclmul = __builtin_cpu_supports("pclmul");
    f.avx2 = __builtin_cpu_supports("avx2") && OsSavesState(kYmm);
    f.avx512bw = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 OsSavesState(kZmm);
#endif
    return f;
  }();
  return features;
}

bool NoAvx512() {
  static const bool no = [] {
    const char* env = std::getenv("LIAISON_NO_AVX512");
    return env != nullptr && env[0] != '\0' && std::strcmp(env, "0") != 0;
  }();
  return no;
}

}  // namespace liaison::ot::internal
