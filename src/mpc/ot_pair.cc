#include "mpc/ot_pair.h"

#include <algorithm>
#include <utility>

#include "base/status.h"
#include "base/thread_pool.h"
#include "crypto/aes.h"

namespace liaison::mpc {

ot::OtExtensionParams DefaultOtParams(int num_threads) {
  ot::OtExtensionParams p;
  p.security = ot::Security::kSemiHonest;
  p.softspoken_k = kDefaultSoftSpokenK;
  p.num_threads = num_threads < 1 ? 1 : num_threads;
  return p;
}

OtPair::OtPair(int party, ot::OtExtensionParams params)
    : party_(party),
      malicious_(params.security == ot::Security::kMalicious),
      sender_(params),
      receiver_(params) {}

void OtPair::Hash(absl::Span<const crypto::Block> in, uint64_t tweak0, size_t first,
                  absl::Span<crypto::Block> out) const {
  if (malicious_) {
    crypto::TccrHash(in, tweak0 + first, out);
  } else {
    crypto::CrHash(in, out);
  }
}

absl::Status OtPair::SetUp(net::Channel& channel, crypto::Prng& prng) {
  if (party_ != 0 && party_ != 1) {
    return absl::InvalidArgumentError("an mpc party is 0 or 1");
  }
  if (party_ == 0) {
    LIAISON_RETURN_IF_ERROR(sender_.SetUp(channel, prng));
    return receiver_.SetUp(channel, prng);
  }
  LIAISON_RETURN_IF_ERROR(receiver_.SetUp(channel, prng));
  return sender_.SetUp(channel, prng);
}

absl::StatusOr<ot::RotSenderOutput> OtPair::SendRot(net::Channel& channel,
                                                    size_t num_ots,
                                                    crypto::Prng& prng) {
  LIAISON_ASSIGN_OR_RETURN(crypto::SecretBlocks q, sender_.ExtendCot(channel, num_ots, prng));
  const uint64_t tweak0 = send_tweak_;
  send_tweak_ += num_ots;
  ot::RotSenderOutput out;
  out.m1 = crypto::SecretBlocks(q.size());
  const crypto::Block delta = sender_.delta();
  for (size_t i = 0; i < q.size(); ++i) out.m1[i] = q[i] ^ delta;
  Hash(q.span(), tweak0, 0, q.span());
  Hash(out.m1.span(), tweak0, 0, out.m1.span());
  out.m0 = std::move(q);
  return out;
}

absl::StatusOr<crypto::SecretBlocks> OtPair::ReceiveRot(net::Channel& channel,
                                                    const crypto::SecretBits& choices,
                                                    crypto::Prng& prng) {
  LIAISON_ASSIGN_OR_RETURN(crypto::SecretBlocks t, receiver_.ExtendCot(channel, choices, prng));
  const uint64_t tweak0 = receive_tweak_;
  receive_tweak_ += choices.size();
  Hash(t.span(), tweak0, 0, t.span());
  return t;
}

namespace {

// ForEachPiece calls fn(first, h0, h1) for the pieces [first, first + c)
// of [0, len) on up to num_threads threads, with two scratch spans of c
// blocks (wiped when the thread is done).
template <typename Fn>
void ForEachPiece(size_t len, size_t piece, int num_threads, const Fn& fn) {
  ParallelFor((len + piece - 1) / piece, num_threads, 1, [&](size_t begin, size_t end) {
    crypto::SecretBlocks h0(piece), h1(piece);
    for (size_t p = begin; p < end; ++p) {
      const size_t first = p * piece;
      const size_t c = std::min(len, first + piece) - first;
      fn(first, h0.span().subspan(0, c), h1.span().subspan(0, c));
    }
  });
}

// LowWords writes the low 64 bits of blocks[i] to word i of the same
// memory, front to back (word i lies in block i / 2 ≤ i, already read), and
// returns them as a span.
absl::Span<const uint64_t> LowWords(absl::Span<crypto::Block> blocks) {
  uint64_t* words = reinterpret_cast<uint64_t*>(blocks.data());
  for (size_t i = 0; i < blocks.size(); ++i) words[i] = blocks[i].lo;
  return absl::MakeConstSpan(words, blocks.size());
}

}  // namespace

absl::Status OtPair::SendRotBlockPieces(net::Channel& channel, size_t num_ots, size_t group,
                                        crypto::Prng& prng, int num_threads,
                                        const SendBlockPieceFn& consume) {
  if (group == 0 || group > kRotPiece) {
    return absl::InvalidArgumentError("random OT pieces: group out of range");
  }
  const crypto::Block delta = sender_.delta();
  const uint64_t tweak0 = send_tweak_;
  send_tweak_ += num_ots;
  if (128 % group == 0 && !malicious_) {
    // The OT extension's own pieces start at multiples of 128: hash each
    // while it is in cache. m0 = H(q) goes to the scratch, m1 = H(q ⊕ Δ)
    // stays in q's buffer.
    return sender_.ExtendCotPieces(
        channel, num_ots, prng,
        [&](size_t first, absl::Span<crypto::Block> q, absl::Span<crypto::Block> scratch) {
          crypto::CrHash(q, scratch);
          for (crypto::Block& b : q) b ^= delta;
          crypto::CrHash(q, q);
          consume(first, scratch, q);
        });
  }
  const size_t piece = kRotPiece / group * group;
  const size_t slice = piece * kPiecesPerSlice;
  for (size_t s0 = 0; s0 < num_ots; s0 += slice) {
    const size_t len = std::min(num_ots - s0, slice);
    LIAISON_ASSIGN_OR_RETURN(crypto::SecretBlocks q, sender_.ExtendCot(channel, len, prng));
    ForEachPiece(len, piece, num_threads,
                 [&](size_t b, absl::Span<crypto::Block> m0, absl::Span<crypto::Block> m1) {
                   const size_t c = m0.size();
                   Hash(q.span().subspan(b, c), tweak0, s0 + b, m0);
                   for (size_t i = 0; i < c; ++i) m1[i] = q[b + i] ^ delta;
                   Hash(m1, tweak0, s0 + b, m1);
                   consume(s0 + b, m0, m1);
                 });
  }
  return absl::OkStatus();
}

absl::Status OtPair::ReceiveRotBlockPieces(net::Channel& channel,
                                           const crypto::SecretBits& choices, size_t group,
                                           crypto::Prng& prng, int num_threads,
                                           const ReceiveBlockPieceFn& consume) {
  const size_t num_ots = choices.size();
  if (group == 0 || group > kRotPiece) {
    return absl::InvalidArgumentError("random OT pieces: group out of range");
  }
  const uint64_t tweak0 = receive_tweak_;
  receive_tweak_ += num_ots;
  if (128 % group == 0 && !malicious_) {
    return receiver_.ExtendCotPieces(
        channel, choices, prng,
        [&](size_t first, absl::Span<crypto::Block> t, absl::Span<crypto::Block>) {
          crypto::CrHash(t, t);
          consume(first, t);
        });
  }
  const size_t piece = kRotPiece / group * group;
  const size_t slice = piece * kPiecesPerSlice;  // a multiple of 128
  // The choice bits as words (the blocks' lo-then-hi order).
  const absl::Span<const uint64_t> words(
      reinterpret_cast<const uint64_t*>(choices.blocks().data()), choices.num_blocks() * 2);
  for (size_t s0 = 0; s0 < num_ots; s0 += slice) {
    const size_t len = std::min(num_ots - s0, slice);
    const crypto::SecretBits part =
        len == num_ots ? crypto::SecretBits() : crypto::SecretBits::FromWords(words.subspan(s0 / 64), len);
    LIAISON_ASSIGN_OR_RETURN(
        crypto::SecretBlocks t, receiver_.ExtendCot(channel, len == num_ots ? choices : part, prng));
    ForEachPiece(len, piece, num_threads,
                 [&](size_t b, absl::Span<crypto::Block> mc, absl::Span<crypto::Block>) {
                   Hash(t.span().subspan(b, mc.size()), tweak0, s0 + b, mc);
                   consume(s0 + b, mc);
                 });
  }
  return absl::OkStatus();
}

absl::Status OtPair::SendRotPieces(net::Channel& channel, size_t num_ots, size_t group,
                                   crypto::Prng& prng, int num_threads,
                                   const SendPieceFn& consume) {
  return SendRotBlockPieces(
      channel, num_ots, group, prng, num_threads,
      [&](size_t first, absl::Span<crypto::Block> m0, absl::Span<crypto::Block> m1) {
        consume(first, LowWords(m0), LowWords(m1));
      });
}

absl::Status OtPair::ReceiveRotPieces(net::Channel& channel, const crypto::SecretBits& choices,
                                      size_t group, crypto::Prng& prng, int num_threads,
                                      const ReceivePieceFn& consume) {
  return ReceiveRotBlockPieces(
      channel, choices, group, prng, num_threads,
      [&](size_t first, absl::Span<crypto::Block> mc) { consume(first, LowWords(mc)); });
}

absl::StatusOr<OtPair::RotWords> OtPair::SendRotWords(net::Channel& channel, size_t num_ots,
                                                      crypto::Prng& prng, int num_threads) {
  RotWords out{SecretWords(num_ots), SecretWords(num_ots)};
  LIAISON_RETURN_IF_ERROR(SendRotPieces(
      channel, num_ots, 1, prng, num_threads,
      [&](size_t first, absl::Span<const uint64_t> m0, absl::Span<const uint64_t> m1) {
        std::copy(m0.begin(), m0.end(), out.m0.data() + first);
        std::copy(m1.begin(), m1.end(), out.m1.data() + first);
      }));
  return out;
}

absl::StatusOr<SecretWords> OtPair::ReceiveRotWords(net::Channel& channel,
                                                    const crypto::SecretBits& choices,
                                                    crypto::Prng& prng, int num_threads) {
  SecretWords out(choices.size());
  LIAISON_RETURN_IF_ERROR(ReceiveRotPieces(
      channel, choices, 1, prng, num_threads,
      [&](size_t first, absl::Span<const uint64_t> mc) {
        std::copy(mc.begin(), mc.end(), out.data() + first);
      }));
  return out;
}

absl::Status RunBothWays(const OtPair& ots, const std::function<absl::Status()>& send,
                         const std::function<absl::Status()>& receive) {
  if (ots.party() == 0) {
    LIAISON_RETURN_IF_ERROR(send());
    return receive();
  }
  LIAISON_RETURN_IF_ERROR(receive());
  return send();
}

absl::StatusOr<BothRotWords> ExtendBothWaysWords(OtPair& ots, net::Channel& channel,
                                                 const crypto::SecretBits& my_choices,
                                                 size_t num_peer_ots, crypto::Prng& prng,
                                                 int num_threads) {
  BothRotWords out;
  auto send = [&]() -> absl::Status {
    if (num_peer_ots == 0) return absl::OkStatus();
    LIAISON_ASSIGN_OR_RETURN(out.theirs,
                             ots.SendRotWords(channel, num_peer_ots, prng, num_threads));
    return absl::OkStatus();
  };
  auto receive = [&]() -> absl::Status {
    if (my_choices.size() == 0) return absl::OkStatus();
    LIAISON_ASSIGN_OR_RETURN(out.mine,
                             ots.ReceiveRotWords(channel, my_choices, prng, num_threads));
    return absl::OkStatus();
  };
  LIAISON_RETURN_IF_ERROR(RunBothWays(ots, send, receive));
  return out;
}

absl::StatusOr<BothRot> ExtendBothWays(OtPair& ots, net::Channel& channel,
                                       const crypto::SecretBits& my_choices,
                                       size_t num_peer_ots, crypto::Prng& prng) {
  BothRot out;
  if (ots.party() == 0) {
    if (num_peer_ots > 0) {
      LIAISON_ASSIGN_OR_RETURN(out.theirs, ots.SendRot(channel, num_peer_ots, prng));
    }
    if (my_choices.size() > 0) {
      LIAISON_ASSIGN_OR_RETURN(out.mine, ots.ReceiveRot(channel, my_choices, prng));
    }
  } else {
    if (my_choices.size() > 0) {
      LIAISON_ASSIGN_OR_RETURN(out.mine, ots.ReceiveRot(channel, my_choices, prng));
    }
    if (num_peer_ots > 0) {
      LIAISON_ASSIGN_OR_RETURN(out.theirs, ots.SendRot(channel, num_peer_ots, prng));
    }
  }
  return out;
}

}  // namespace liaison::mpc
