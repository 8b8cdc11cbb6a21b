#include "net/channel.h"

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

}  // namespace liaison::net
