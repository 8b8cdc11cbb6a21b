// Hashing of items (byte strings of any length) to 128-bit keys, shared by
// the VOLE-based protocols.
#ifndef LIAISON_PSI_INTERNAL_ITEM_HASH_H_
#define LIAISON_PSI_INTERNAL_ITEM_HASH_H_

#include <string>

#include "absl/types/span.h"
#include "crypto/aes.h"
#include "crypto/block.h"

namespace liaison::psi::internal {

// ItemHashKey returns the AES key for the item hash agreed from the XOR `s`
// of both sides' header seeds: FixedKeyAes(s) ⊕ s, so that neither side
// alone chooses it.
crypto::Aes128 ItemHashKey(const crypto::Block& s);

// HashItems sets keys[i] to the AES-128 CBC-MAC under `aes` of the
// prefix-free encoding LE64(len) ‖ items[i] ‖ zero padding (16-byte blocks),
// batching the AES calls across items, on `threads` threads. For inputs
// fixed before the key is agreed, two distinct items of at most ℓ blocks
// collide with probability about ℓ²/2^128. `keys` has items.size() blocks.
void HashItems(const crypto::Aes128& aes, absl::Span<const std::string> items,
               absl::Span<crypto::Block> keys, int threads);

// ParallelCrHash sets out[i] = CrHash(in[i]) (crypto/aes.h) on `threads`
// threads; `in` and `out` may be the same span.
void ParallelCrHash(absl::Span<const crypto::Block> in,
                    absl::Span<crypto::Block> out, int threads);

}  // namespace liaison::psi::internal

#endif  // LIAISON_PSI_INTERNAL_ITEM_HASH_H_
