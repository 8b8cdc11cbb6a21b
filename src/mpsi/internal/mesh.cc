#include "mpsi/internal/mesh.h"

#include <algorithm>
#include <exception>
#include <new>
#include <string>
#include <thread>

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

}  // namespace liaison::mpsi::internal
