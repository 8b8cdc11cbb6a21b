// Run-time facts about the CPU and the environment that choose between the
// vectorised and the portable implementations of the crypto kernels. Every
// module that dispatches asks here, so the rules (and the variables that
// override them for tests) are the same everywhere.
#ifndef LIAISON_BASE_CPU_H_
#define LIAISON_BASE_CPU_H_

namespace liaison {

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
