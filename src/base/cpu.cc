#include "base/cpu.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace liaison {
namespace {

// OsSavesState reports whether XCR0 has every bit of `mask`, after checking
// OSXSAVE (without it XGETBV faults).
bool OsSavesState([[maybe_unused]] uint32_t mask) {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  if ((ecx & (1u << 27)) == 0) return false;
  uint32_t xcr0_lo = 0, xcr0_hi = 0;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  return (xcr0_lo & mask) == mask;
#else
  return false;
#endif
}

constexpr uint32_t kYmmState = (1u << 1) | (1u << 2);
constexpr uint32_t kZmmState = kYmmState | (1u << 5) | (1u << 6) | (1u << 7);

}  // namespace

const CpuId& CpuFeatureBits() {
  static const CpuId id = [] {
    CpuId f;
#if defined(__x86_64__) || defined(__i386__)
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0) {
      f.pclmul = (ecx >> 1) & 1;
      f.aes = (ecx >> 25) & 1;
    }
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) != 0) {
      f.avx2 = (ebx >> 5) & 1;
      f.avx512f = (ebx >> 16) & 1;
      f.avx512ifma = (ebx >> 21) & 1;
      f.avx512bw = (ebx >> 30) & 1;
      f.avx512vl = (ebx >> 31) & 1;
      f.avx512vbmi = (ecx >> 1) & 1;
      f.gfni = (ecx >> 8) & 1;
      f.vaes = (ecx >> 9) & 1;
      f.vpclmulqdq = (ecx >> 10) & 1;
    }
#endif
    return f;
  }();
  return id;
}

bool EnvFlagSet(const char* name) {
  const char* env = std::getenv(name);
  return env != nullptr && env[0] != '\0' && std::strcmp(env, "0") != 0;
}

bool OsSavesYmmState() {
  static const bool saved = OsSavesState(kYmmState);
  return saved;
}

bool OsSavesZmmState() {
  static const bool saved = OsSavesState(kZmmState);
  return saved;
}

}  // namespace liaison
