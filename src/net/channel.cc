#include "net/channel.h"

#include <algorithm>

#include "base/strings.h"

namespace liaison::net {

absl::Status Channel::Send(ByteSpan message) {
  if (message.size() > max_message_len_) {
    return absl::InvalidArgumentError(StrCat(
        "message of ", message.size(), " bytes exceeds the channel limit of ",
        max_message_len_));
  }
  absl::Status s = DoSend(message);
  if (!s.ok()) return s;
  if (!last_was_send_) ++rounds_;
  last_was_send_ = true;
  bytes_sent_ += kFrameHeaderLen + message.size();
  ++messages_sent_;
  return absl::OkStatus();
}

absl::StatusOr<Bytes> Channel::Recv() {
  absl::StatusOr<Bytes> m = DoRecv(max_message_len_);
  if (!m.ok()) return m;
  last_was_send_ = false;
  bytes_received_ += kFrameHeaderLen + m->size();
  ++messages_received_;
  return m;
}

absl::StatusOr<Bytes> RecvAtMost(Channel& channel, size_t max_len) {
  const size_t was = channel.max_message_len();
  channel.set_max_message_len(std::min(was, max_len));
  absl::StatusOr<Bytes> m = channel.Recv();
  channel.set_max_message_len(was);
  return m;
}

}  // namespace liaison::net
