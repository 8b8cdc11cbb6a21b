// Run-time facts about the CPU and the environment that choose between the
// vectorised and the portable implementations of the crypto kernels. Every
// module that dispatches asks here, so the rules (and the variables that
// override them for tests) are the same everywhere.
#ifndef LIAISON_BASE_CPU_H_
#define LIAISON_BASE_CPU_H_

namespace liaison {

// CpuId holds the CPUID feature bits the kernels dispatch on, read directly
// from CPUID (leaves 1 and 7.0), so every compiler sees the same answer.
// These say what the CPU implements; whether the OS saves the wider
// register state is asked separately (OsSavesYmmState, OsSavesZmmState).
// All false off x86.
struct CpuId {
  bool aes = false;
  bool pclmul = false;
  bool avx2 = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512ifma = false;
  bool avx512vbmi = false;
  bool gfni = false;
  bool vaes = false;
  bool vpclmulqdq = false;
};

// CpuFeatureBits returns this CPU's CpuId (computed once).
const CpuId& CpuFeatureBits();

// EnvFlagSet reports whether the environment variable `name` is set to
// anything but "" or "0". LIAISON_NO_AVX512, LIAISON_NO_AESNI and
// LIAISON_NO_PCLMUL use it to force narrower code paths in tests.
bool EnvFlagSet(const char* name);

// OsSavesYmmState reports whether the operating system saves the AVX
// register state across context switches (OSXSAVE, then XCR0 bits 1 and 2).
// AVX code must not run otherwise, whatever CPUID says. False off x86.
bool OsSavesYmmState();

// OsSavesZmmState is OsSavesYmmState for AVX-512: XCR0 bits 1, 2 (SSE, AVX),
// 5 (opmask), 6 (ZMM_Hi256) and 7 (Hi16_ZMM).
bool OsSavesZmmState();

}  // namespace liaison

#endif  // LIAISON_BASE_CPU_H_
