// Internal entry points of ot/lpn/ex_conv_code.h: the choice of convolution
// kernel, and encoding on an explicit kernel, so that tests compare the
// kernels in one process and benchmarks time each.
#ifndef LIAISON_OT_LPN_INTERNAL_EX_CONV_INTERNAL_H_
#define LIAISON_OT_LPN_INTERNAL_EX_CONV_INTERNAL_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "crypto/block.h"
#include "ot/lpn/ex_conv_code.h"

namespace liaison::ot::internal {

enum class ExConvImpl {
  // kPortable runs the definition row by row (any x86-64 or other CPU).
  kPortable,
  // kAvx512Gfni runs 8-row tiles with GF2P8AFFINEQB (ex_conv_kernels.h).
  kAvx512Gfni,
};

// ExConvImplName is "portable" or "avx512gfni".
const char* ExConvImplName(ExConvImpl impl);

// ExConvImplAvailable reports whether this binary has the kernel and the
// CPU and OS can run it (kAvx512Gfni: AVX-512 F/BW/VL/VBMI, GFNI and the
// zmm state enabled in XCR0). It ignores the environment.
bool ExConvImplAvailable(ExConvImpl impl);

// SelectedExConvImpl is the kernel the public functions use, decided once
// per process: kAvx512Gfni where available unless LIAISON_NO_AVX512 is set
// (to anything but "" or "0").
ExConvImpl SelectedExConvImpl();

// EncodeVectors names the vectors one encoding call transforms with the
// same code: up to two block vectors, a packed bit vector, a byte vector
// (empty spans are absent). The public functions fill it.
struct EncodeVectors {
  absl::Span<crypto::Block> blocks[2];
  absl::Span<uint8_t> bits;
  absl::Span<uint8_t> bytes;
};

// DualEncodeWith is the public encoding of every present vector on kernel
// `impl`, which must be available. It returns InvalidArgument, touching
// nothing, if a size is wrong, no vector is present or two overlap.
absl::Status DualEncodeWith(ExConvImpl impl, const ExConvCode& code,
                            const EncodeVectors& vectors, int num_threads);

}  // namespace liaison::ot::internal

#endif  // LIAISON_OT_LPN_INTERNAL_EX_CONV_INTERNAL_H_
