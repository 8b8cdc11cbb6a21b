// Moving packed words between the two parties of mpc/ in bounded messages.
#ifndef LIAISON_MPC_INTERNAL_WIRE_H_
#define LIAISON_MPC_INTERNAL_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "net/channel.h"

namespace liaison::mpc::internal {

// kMaxMessageWords bounds one message (8 MiB), well inside the channel's
// default limit.
inline constexpr size_t kMaxMessageWords = size_t{1} << 20;

// SendWords sends `words` little-endian in messages of at most
// kMaxMessageWords words (none if `words` is empty).
absl::Status SendWords(net::Channel& channel, absl::Span<const uint64_t> words);

// RecvWords receives exactly out.size() words sent by SendWords. A
// message of the wrong length is DataLoss (naming `what`); transport
// errors as the channel gives them.
absl::Status RecvWords(net::Channel& channel, absl::Span<uint64_t> out,
                       std::string_view what);

// GetBits returns the `len` ≤ 57 bits of packed `words` starting at bit
// `pos` (bit i is bit i % 64 of words[i / 64]); words must hold them, and
// one more word if they straddle a word boundary.
inline uint64_t GetBits(absl::Span<const uint64_t> words, size_t pos, int len) {
  const size_t w = pos / 64;
  const unsigned r = pos % 64;
  uint64_t v = words[w] >> r;
  if (r + static_cast<unsigned>(len) > 64) v |= words[w + 1] << (64 - r);
  return v & ((uint64_t{1} << len) - 1);
}

}  // namespace liaison::mpc::internal

#endif  // LIAISON_MPC_INTERNAL_WIRE_H_
