#include "mpc/internal/wire.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"

namespace liaison::mpc::internal {

static_assert(std::endian::native == std::endian::little,
              "mpc wire words are little-endian in memory");

absl::Status SendWords(net::Channel& channel, absl::Span<const uint64_t> words) {
  for (size_t b = 0; b < words.size(); b += kMaxMessageWords) {
    const size_t e = std::min(words.size(), b + kMaxMessageWords);
    LIAISON_RETURN_IF_ERROR(channel.Send(
        ByteSpan(reinterpret_cast<const uint8_t*>(words.data() + b), (e - b) * 8)));
  }
  return absl::OkStatus();
}

absl::Status RecvWords(net::Channel& channel, absl::Span<uint64_t> out,
                       std::string_view what) {
  for (size_t b = 0; b < out.size(); b += kMaxMessageWords) {
    const size_t e = std::min(out.size(), b + kMaxMessageWords);
    LIAISON_ASSIGN_OR_RETURN(Bytes msg, channel.Recv());
    if (msg.size() != (e - b) * 8) {
      return absl::DataLossError(StrCat("peer's ", what, " message is ", msg.size(),
                                        " bytes, expected ", (e - b) * 8));
    }
    std::memcpy(out.data() + b, msg.data(), msg.size());
  }
  return absl::OkStatus();
}

}  // namespace liaison::mpc::internal
