// CPU feature checks for the ot/ kernels (bit-matrix transpose, carry-less
// multiplication). The kernels are compiled with per-function target
// attributes and chosen at run time, so one binary runs on any x86-64 CPU.
#ifndef LIAISON_OT_INTERNAL_CPU_H_
#define LIAISON_OT_INTERNAL_CPU_H_

namespace liaison::ot::internal {

struct CpuFeatures {
  bool pclmul = false;
  bool avx2 = false;
  // avx512bw: AVX-512F and BW in CPUID and the opmask and zmm state enabled
  // by the OS in XCR0.
  bool avx512bw = false;
};

// Cpu returns the features of the CPU this process runs on (computed once;
// thread-safe). It ignores the environment.
const CpuFeatures& Cpu();

// NoAvx512 reports whether LIAISON_NO_AVX512 is set to anything but "" or
// "0": as for crypto/aes.h, the AVX-512 kernels are then not selected, so
// tests can cover the narrower paths.
bool NoAvx512();

}  // namespace liaison::ot::internal

#endif  // LIAISON_OT_INTERNAL_CPU_H_
