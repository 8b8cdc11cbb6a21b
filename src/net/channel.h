// Channel is the one transport abstraction the protocols know: a reliable,
// ordered, authenticated, blocking pipe of framed messages to one peer, with
// byte, message and round counters. LocalPair() gives two connected in-memory
// ends for tests and benchmarks; the TLS channel (net/tls_channel.h) carries
// the same messages between processes.
//
// Send never waits for the peer to call Recv: LocalPair buffers in memory and
// the TLS channel keeps reading incoming data while it waits to write. So both
// parties may send before either receives, and protocols need not order their
// flows to avoid deadlock.
//
// A Channel is used by one thread at a time.
#ifndef LIAISON_NET_CHANNEL_H_
#define LIAISON_NET_CHANNEL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/bytes.h"

namespace liaison::net {

// kFrameHeaderLen is the length of the u32 (big-endian) length that precedes
// every message on a byte stream; it is counted in the byte counters.
inline constexpr size_t kFrameHeaderLen = 4;
// kDefaultMaxMessageLen bounds one message; larger frames from a peer are
// DataLoss before any of their payload is buffered.
inline constexpr size_t kDefaultMaxMessageLen = size_t{64} << 20;

class Channel {
 public:
  virtual ~Channel() = default;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Send sends one message. It returns InvalidArgument if the message is
  // longer than max_message_len(), Unavailable if the peer has gone or the
  // channel is closed, DeadlineExceeded if the peer stops reading for longer
  // than the timeout.
  absl::Status Send(ByteSpan message);

  // Recv returns the next message. It returns DataLoss if the peer announces
  // a message longer than max_message_len() or the stream is malformed,
  // Unavailable if the peer closed the channel (after all its messages were
  // received) and DeadlineExceeded if nothing arrives within the timeout.
  absl::StatusOr<Bytes> Recv();

  // Close ends this side: the peer's Recv returns Unavailable once it has
  // drained what was sent. Idempotent.
  virtual void Close() = 0;

  // SetTimeout bounds how long Send and Recv wait for the peer.
  // absl::InfiniteDuration() waits forever (the default for LocalPair).
  virtual void SetTimeout(absl::Duration timeout) = 0;

  size_t max_message_len() const { return max_message_len_; }
  void set_max_message_len(size_t len) { max_message_len_ = len; }

  // Counters count framed bytes (header included), as they travel.
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t bytes_received() const { return bytes_received_; }
  uint64_t messages_sent() const { return messages_sent_; }
  uint64_t messages_received() const { return messages_received_; }
  // rounds counts this side's flights: maximal runs of Sends not interrupted
  // by a Recv.
  uint64_t rounds() const { return rounds_; }

 protected:
  Channel() = default;
  // DoSend delivers `message`, whose length has been checked.
  virtual absl::Status DoSend(ByteSpan message) = 0;
  // DoRecv returns the next message, refusing any longer than `max_len`.
  virtual absl::StatusOr<Bytes> DoRecv(size_t max_len) = 0;

 private:
  size_t max_message_len_ = kDefaultMaxMessageLen;
  uint64_t bytes_sent_ = 0;
  uint64_t bytes_received_ = 0;
  uint64_t messages_sent_ = 0;
  uint64_t messages_received_ = 0;
  uint64_t rounds_ = 0;
  bool last_was_send_ = false;
};

// RecvAtMost is Recv with a bound of `max_len` for this one message (the
// channel's own bound is restored afterwards): a message a peer sends before
// it is trusted with more (an offer, a handshake) is refused from its length
// prefix, before any of it is buffered (DataLoss).
absl::StatusOr<Bytes> RecvAtMost(Channel& channel, size_t max_len);

// LocalPair returns two connected in-memory ends. Destroying or closing one
// end makes the other's Recv return Unavailable once drained. The ends may be
// used from different threads (each end by one thread at a time).
std::pair<std::unique_ptr<Channel>, std::unique_ptr<Channel>> LocalPair();

}  // namespace liaison::net

#endif  // LIAISON_NET_CHANNEL_H_
