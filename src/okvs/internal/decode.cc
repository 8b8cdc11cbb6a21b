#include "okvs/internal/decode.h"

#include "okvs/internal/decode_kernel.h"
#include "okvs/internal/dense.h"

namespace liaison::okvs::internal {

void DecodeKeysPortable(const RowHasher& hasher, const DecodeShape& shape, const Block* okvs,
                        absl::Span<const Block> keys, absl::Span<Block> values) {
  DecodeKeysWith<PortableGf>(hasher, shape, okvs, keys, values);
}

void DecodeKeys(const RowHasher& hasher, const DecodeShape& shape, const Block* okvs,
                absl::Span<const Block> keys, absl::Span<Block> values) {
#if LIAISON_OKVS_HAVE_PCLMUL
  if (DensePclmulAvailable()) return DecodeKeysPclmul(hasher, shape, okvs, keys, values);
#endif
  DecodeKeysPortable(hasher, shape, okvs, keys, values);
}

}  // namespace liaison::okvs::internal
