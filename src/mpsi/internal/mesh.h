// What the n-party protocols of mpsi/ share: the checks of a party's
// channel list, one thread per peer with the errors gathered, the
// distinct sorted copy of a party's items, and closing every channel on
// failure so that no other party waits for us.
#ifndef LIAISON_MPSI_INTERNAL_MESH_H_
#define LIAISON_MPSI_INTERNAL_MESH_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/block.h"
#include "crypto/secret_blocks.h"
#include "net/channel.h"

namespace liaison::mpsi::internal {

// kMaxItems bounds a party's distinct items (indices fit 32 bits).
inline constexpr uint64_t kMaxItems = (uint64_t{1} << 32) - 2;

// CheckMesh checks n = channels.size() ∈ [2, max_parties], `me` < n,
// channels[me] null and every other entry set, and that messages of
// `chunk_len` blocks fit every channel. InvalidArgument names what is
// wrong, prefixed with `who`.
absl::Status CheckMesh(std::string_view who, int me, absl::Span<net::Channel* const> channels,
                       size_t chunk_len, int max_parties);

// CloseAll closes every channel of the list (null entries skipped).
void CloseAll(absl::Span<net::Channel* const> channels);

// PickError returns the most telling of several threads' errors: a peer's
// Unavailable is often the echo of an error elsewhere, so any other code
// comes first. OK when all are.
absl::Status PickError(const std::vector<absl::Status>& statuses);

// RunAll runs every task on its own thread, joins them all and returns
// PickError of their statuses. An exception (memory) becomes
// ResourceExhausted or Internal, prefixed with `who`.
absl::Status RunAll(std::string_view who, std::vector<std::function<absl::Status()>>& tasks);

// DistinctSorted returns the distinct items, sorted.
crypto::UninitSecretBlocks DistinctSorted(absl::Span<const crypto::Block> items);

// IndexIn returns the position of `item` in `sorted` (which holds it).
size_t IndexIn(absl::Span<const crypto::Block> sorted, const crypto::Block& item);

// RecvExact receives one message of exactly `len` bytes; DataLoss
// "<who>: <what> of the wrong length" otherwise.
absl::StatusOr<Bytes> RecvExact(net::Channel& channel, size_t len, std::string_view who,
                                std::string_view what);

// SendBlocks sends `blocks` in messages of at most `chunk_len` blocks.
absl::Status SendBlocks(net::Channel& channel, absl::Span<const crypto::Block> blocks,
                        size_t chunk_len);

// RecvBlocks fills `out` from messages of the peer's chunk length, each
// of exactly the expected length (DataLoss otherwise).
absl::Status RecvBlocks(net::Channel& channel, absl::Span<crypto::Block> out,
                        size_t peer_chunk_len, std::string_view who, std::string_view what);

// SendBlockList sends a list of blocks: its u64 length, then the blocks
// as SendBlocks does.
absl::Status SendBlockList(net::Channel& channel, absl::Span<const crypto::Block> blocks,
                           size_t chunk_len);

// RecvBlockList receives a list SendBlockList sent: DataLoss "<who>: <what>
// ..." when it is longer than `max_len`, a message has the wrong length, or
// the blocks are not strictly ascending.
absl::StatusOr<std::vector<crypto::Block>> RecvBlockList(net::Channel& channel, uint64_t max_len,
                                                         size_t peer_chunk_len,
                                                         std::string_view who,
                                                         std::string_view what);

}  // namespace liaison::mpsi::internal

#endif  // LIAISON_MPSI_INTERNAL_MESH_H_
