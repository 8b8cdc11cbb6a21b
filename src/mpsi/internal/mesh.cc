#include "mpsi/internal/mesh.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <thread>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"

namespace liaison::mpsi::internal {

absl::Status CheckMesh(std::string_view who, int me, absl::Span<net::Channel* const> channels,
                       size_t chunk_len, int max_parties) {
  const int n = static_cast<int>(channels.size());
  if (n < 2 || n > max_parties) {
    return absl::InvalidArgumentError(StrCat(who, ": n = ", n, " outside [2, ", max_parties, "]"));
  }
  if (me < 0 || me >= n) return absl::InvalidArgumentError(StrCat(who, ": party index out of range"));
  if (chunk_len == 0 || chunk_len > UINT32_MAX) {
    return absl::InvalidArgumentError(StrCat(who, ": chunk length out of range"));
  }
  for (int j = 0; j < n; ++j) {
    if ((j == me) != (channels[j] == nullptr)) {
      return absl::InvalidArgumentError(
          StrCat(who, ": channels must name every peer and leave our own index empty"));
    }
    if (j != me && chunk_len * sizeof(crypto::Block) > channels[j]->max_message_len()) {
      return absl::InvalidArgumentError(StrCat(who, ": chunk length does not fit the channel"));
    }
  }
  return absl::OkStatus();
}

void CloseAll(absl::Span<net::Channel* const> channels) {
  for (net::Channel* c : channels) {
    if (c != nullptr) c->Close();
  }
}

absl::Status PickError(const std::vector<absl::Status>& statuses) {
  absl::Status first;
  for (const absl::Status& s : statuses) {
    if (s.ok()) continue;
    if (!absl::IsUnavailable(s)) return s;
    if (first.ok()) first = s;
  }
  return first;
}

absl::Status RunAll(std::string_view who, std::vector<std::function<absl::Status()>>& tasks) {
  std::vector<absl::Status> statuses(tasks.size());
  std::vector<std::thread> threads;
  threads.reserve(tasks.size());
  for (size_t t = 0; t < tasks.size(); ++t) {
    threads.emplace_back([&, t] {
      try {
        statuses[t] = tasks[t]();
      } catch (const std::bad_alloc&) {
        statuses[t] = absl::ResourceExhaustedError(StrCat(who, ": out of memory"));
      } catch (const std::exception& e) {
        statuses[t] = absl::InternalError(StrCat(who, ": ", e.what()));
      }
    });
  }
  for (std::thread& th : threads) th.join();
  return PickError(statuses);
}

crypto::UninitSecretBlocks DistinctSorted(absl::Span<const crypto::Block> items) {
  crypto::UninitSecretBlocks sorted(items.size());
  std::copy(items.begin(), items.end(), sorted.data());
  std::sort(sorted.data(), sorted.data() + sorted.size());
  const size_t m = std::unique(sorted.data(), sorted.data() + sorted.size()) - sorted.data();
  sorted.Truncate(m);
  return sorted;
}

size_t IndexIn(absl::Span<const crypto::Block> sorted, const crypto::Block& item) {
  return std::lower_bound(sorted.begin(), sorted.end(), item) - sorted.begin();
}

absl::StatusOr<Bytes> RecvExact(net::Channel& channel, size_t len, std::string_view who,
                                std::string_view what) {
  LIAISON_ASSIGN_OR_RETURN(Bytes msg, net::RecvAtMost(channel, len));
  if (msg.size() != len) {
    return absl::DataLossError(StrCat(who, ": ", what, " of the wrong length"));
  }
  return msg;
}

absl::Status SendBlocks(net::Channel& channel, absl::Span<const crypto::Block> blocks,
                        size_t chunk_len) {
  for (size_t b = 0; b < blocks.size(); b += chunk_len) {
    const size_t e = std::min(blocks.size(), b + chunk_len);
    LIAISON_RETURN_IF_ERROR(channel.Send(ByteSpan(
        reinterpret_cast<const uint8_t*>(blocks.data() + b), (e - b) * sizeof(crypto::Block))));
  }
  return absl::OkStatus();
}

absl::Status RecvBlocks(net::Channel& channel, absl::Span<crypto::Block> out,
                        size_t peer_chunk_len, std::string_view who, std::string_view what) {
  for (size_t b = 0; b < out.size(); b += peer_chunk_len) {
    const size_t e = std::min(out.size(), b + peer_chunk_len);
    LIAISON_ASSIGN_OR_RETURN(Bytes msg,
                             RecvExact(channel, (e - b) * sizeof(crypto::Block), who, what));
    std::memcpy(out.data() + b, msg.data(), msg.size());
  }
  return absl::OkStatus();
}

absl::Status SendBlockList(net::Channel& channel, absl::Span<const crypto::Block> blocks,
                           size_t chunk_len) {
  ByteWriter w(8);
  w.U64(blocks.size());
  LIAISON_RETURN_IF_ERROR(channel.Send(w.Take()));
  return SendBlocks(channel, blocks, chunk_len);
}

absl::StatusOr<std::vector<crypto::Block>> RecvBlockList(net::Channel& channel, uint64_t max_len,
                                                         size_t peer_chunk_len,
                                                         std::string_view who,
                                                         std::string_view what) {
  LIAISON_ASSIGN_OR_RETURN(Bytes head, RecvExact(channel, 8, who, StrCat(what, "'s length")));
  ByteReader r(head);
  LIAISON_ASSIGN_OR_RETURN(uint64_t len, r.U64("list length"));
  if (len > max_len) return absl::DataLossError(StrCat(who, ": ", what, " is too long"));
  std::vector<crypto::Block> out(len);
  LIAISON_RETURN_IF_ERROR(RecvBlocks(channel, absl::MakeSpan(out), peer_chunk_len, who, what));
  for (size_t k = 1; k < out.size(); ++k) {
    if (!(out[k - 1] < out[k])) {
      return absl::DataLossError(StrCat(who, ": ", what, " out of order"));
    }
  }
  return out;
}

}  // namespace liaison::mpsi::internal
