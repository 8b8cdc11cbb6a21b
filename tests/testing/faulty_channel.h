// FaultyChannel wraps a Channel and injects one fault into its traffic, as
// LevelDB's ErrorEnv does for storage: protocol tests run each party over a
// FaultyChannel and check that every fault ends in the documented error
// (usually DataLoss or Unavailable), never a crash, a hang or a wrong result.
//
//   auto [a, b] = net::LocalPair();
//   testing::FaultyChannel faulty(std::move(a),
//       {.kind = testing::Fault::kFlipByte, .message_index = 2});
//   // Run the sender over `faulty`: its third message reaches the peer with
//   // one byte changed.
//
// Counters of the FaultyChannel count what its user sent and received; the
// inner channel's count what actually travelled.
#ifndef LIAISON_TESTING_FAULTY_CHANNEL_H_
#define LIAISON_TESTING_FAULTY_CHANNEL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/channel.h"

namespace liaison::testing {

struct Fault {
  enum Kind {
    // kNone passes everything through.
    kNone,
    // kTruncate keeps only the first `keep_len` bytes of the message (default:
    // half of it, rounded down).
    kTruncate,
    // kFlipByte XORs byte `byte_index` (modulo the length) with `xor_mask`. An
    // empty message becomes the one byte `xor_mask`.
    kFlipByte,
    // kGarbage replaces the message with `garbage_len` bytes (default: the
    // message's length) drawn from a generator seeded with `seed`.
    kGarbage,
    // kOversize, on a send, replaces the message with `oversize_len` bytes,
    // lifting the inner channel's limit for that one Send, so the receiving
    // transport must refuse it (DataLoss) without trusting the sender. Over a
    // socket that Send may itself fail (Unavailable, DeadlineExceeded) once
    // the receiver stops reading. On a receive, Recv fails with DataLoss as
    // the transport would.
    kOversize,
    // kDropAndClose does not deliver the message and closes the channel. The
    // faulty Send reports success (the message was lost in flight); a faulty
    // Recv discards what it received and returns Unavailable.
    kDropAndClose,
    // kCloseBefore closes the channel instead of sending or receiving the
    // message; that Send or Recv returns Unavailable.
    kCloseBefore,
  };
  enum Direction { kSend, kRecv };

  Kind kind = kNone;
  // message_index is the 0-based index of the message to damage among those
  // passing in `direction` through this FaultyChannel.
  uint64_t message_index = 0;
  Direction direction = kSend;

  // Parameters; each applies to one kind.
  size_t keep_len = SIZE_MAX;   // kTruncate; SIZE_MAX = half the message
  size_t byte_index = 0;        // kFlipByte
  uint8_t xor_mask = 0x01;      // kFlipByte
  size_t garbage_len = SIZE_MAX;  // kGarbage; SIZE_MAX = the message's length
  uint64_t seed = 1;            // kGarbage
  size_t oversize_len = net::kDefaultMaxMessageLen + 1;  // kOversize

  // DebugString names the fault, e.g. "flip byte 0 of sent message #2", for
  // SCOPED_TRACE in tests that loop over faults.
  std::string DebugString() const;
};

// AllFaultKinds returns every kind but kNone, for tests that try each.
std::vector<Fault::Kind> AllFaultKinds();

class FaultyChannel final : public net::Channel {
 public:
  FaultyChannel(std::unique_ptr<net::Channel> inner, Fault fault);
  ~FaultyChannel() override;

  void Close() override { inner_->Close(); }
  void SetTimeout(absl::Duration timeout) override { inner_->SetTimeout(timeout); }

  // fired tells whether the fault has been injected.
  bool fired() const { return fired_; }
  net::Channel& inner() { return *inner_; }
  const net::Channel& inner() const { return *inner_; }

 protected:
  absl::Status DoSend(ByteSpan message) override;
  absl::StatusOr<Bytes> DoRecv(size_t max_len) override;

 private:
  // Damage applies kTruncate, kFlipByte or kGarbage to a message.
  Bytes Damage(ByteSpan message) const;

  std::unique_ptr<net::Channel> inner_;
  Fault fault_;
  uint64_t num_sent_ = 0;
  uint64_t num_received_ = 0;
  bool fired_ = false;
};

}  // namespace liaison::testing

#endif  // LIAISON_TESTING_FAULTY_CHANNEL_H_
