#include "testing/faulty_channel.h"

#include <algorithm>
#include <utility>

#include "base/strings.h"

namespace liaison::testing {
namespace {

// SplitMix64 makes reproducible garbage; it is not a cryptographic generator
// and needs not be.
uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

const char* KindName(Fault::Kind kind) {
  switch (kind) {
    case Fault::kNone: return "no fault";
    case Fault::kTruncate: return "truncate";
    case Fault::kFlipByte: return "flip a byte of";
    case Fault::kGarbage: return "replace with garbage";
    case Fault::kOversize: return "oversize";
    case Fault::kDropAndClose: return "drop and close at";
    case Fault::kCloseBefore: return "close before";
  }
  return "?";
}

}  // namespace

std::string Fault::DebugString() const {
  return StrCat(KindName(kind), " ", direction == kSend ? "sent" : "received",
                " message #", message_index);
}

std::vector<Fault::Kind> AllFaultKinds() {
  return {Fault::kTruncate,  Fault::kFlipByte,     Fault::kGarbage,
          Fault::kOversize,  Fault::kDropAndClose, Fault::kCloseBefore};
}

FaultyChannel::FaultyChannel(std::unique_ptr<net::Channel> inner, Fault fault)
    : inner_(std::move(inner)), fault_(fault) {
  set_max_message_len(inner_->max_message_len());
}

FaultyChannel::~FaultyChannel() = default;

Bytes FaultyChannel::Damage(ByteSpan message) const {
  switch (fault_.kind) {
    case Fault::kTruncate: {
      size_t keep = fault_.keep_len == SIZE_MAX ? message.size() / 2
                                                : std::min(fault_.keep_len, message.size());
      return Bytes(message.begin(), message.begin() + keep);
    }
    case Fault::kFlipByte: {
      if (message.empty()) return Bytes{fault_.xor_mask};
      Bytes out(message.begin(), message.end());
      out[fault_.byte_index % out.size()] ^= fault_.xor_mask;
      return out;
    }
    case Fault::kGarbage: {
      size_t len = fault_.garbage_len == SIZE_MAX ? message.size() : fault_.garbage_len;
      Bytes out(len);
      uint64_t state = fault_.seed;
      for (size_t i = 0; i < len; i += 8) {
        uint64_t r = SplitMix64(state);
        for (size_t j = 0; j < 8 && i + j < len; ++j) out[i + j] = static_cast<uint8_t>(r >> (8 * j));
      }
      return out;
    }
    default:
      return Bytes(message.begin(), message.end());
  }
}

absl::Status FaultyChannel::DoSend(ByteSpan message) {
  inner_->set_max_message_len(max_message_len());
  const uint64_t index = num_sent_++;
  const bool hit = fault_.direction == Fault::kSend && fault_.kind != Fault::kNone &&
                   index == fault_.message_index;
  if (!hit) return inner_->Send(message);
  fired_ = true;
  switch (fault_.kind) {
    case Fault::kTruncate:
    case Fault::kFlipByte:
    case Fault::kGarbage: {
      Bytes damaged = Damage(message);
      inner_->set_max_message_len(std::max(max_message_len(), damaged.size()));
      absl::Status s = inner_->Send(damaged);
      inner_->set_max_message_len(max_message_len());
      return s;
    }
    case Fault::kOversize: {
      Bytes big(fault_.oversize_len, 0xa5);
      inner_->set_max_message_len(std::max(max_message_len(), big.size()));
      absl::Status s = inner_->Send(big);
      inner_->set_max_message_len(max_message_len());
      return s;
    }
    case Fault::kDropAndClose:
      inner_->Close();
      return absl::OkStatus();
    case Fault::kCloseBefore:
      inner_->Close();
      return absl::UnavailableError("FaultyChannel closed the channel before sending");
    case Fault::kNone:
      break;
  }
  return inner_->Send(message);
}

absl::StatusOr<Bytes> FaultyChannel::DoRecv(size_t max_len) {
  inner_->set_max_message_len(max_len);
  const bool hit = fault_.direction == Fault::kRecv && fault_.kind != Fault::kNone &&
                   num_received_ == fault_.message_index;
  if (hit && fault_.kind == Fault::kCloseBefore) {
    ++num_received_;
    fired_ = true;
    inner_->Close();
    return absl::UnavailableError("FaultyChannel closed the channel before receiving");
  }
  absl::StatusOr<Bytes> m = inner_->Recv();
  if (!m.ok()) return m;
  ++num_received_;
  if (!hit) return m;
  fired_ = true;
  switch (fault_.kind) {
    case Fault::kTruncate:
    case Fault::kFlipByte:
    case Fault::kGarbage:
      return Damage(*m);
    case Fault::kOversize:
      return absl::DataLossError(
          "FaultyChannel: peer message exceeds the channel's message limit");
    case Fault::kDropAndClose:
      inner_->Close();
      return absl::UnavailableError("FaultyChannel dropped the message and closed");
    default:
      return m;
  }
}

}  // namespace liaison::testing
