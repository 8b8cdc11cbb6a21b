#include "session/mesh.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <utility>

#include "base/status.h"
#include "base/strings.h"
#include "net/tls_channel.h"

namespace liaison::session {
namespace {

// kAcceptSlice is how long the accepting loop waits at a time before it
// looks whether a dial has failed (and the set-up is over).
constexpr absl::Duration kAcceptSlice = absl::Milliseconds(200);
// kMaxHandshake bounds one incoming TLS handshake, so that a client that
// never finishes holds the others up no longer.
constexpr absl::Duration kMaxHandshake = absl::Seconds(10);

std::string Member(const Party& p) { return StrCat("member ", p.name, " (", p.address, ")"); }

// MemberChannel names the member at the other end in every error of the
// channel it wraps, so that a member that drops mid-run is named at the
// others ("member bravo (10.0.0.2:7400): the peer closed the channel").
class MemberChannel final : public net::Channel {
 public:
  MemberChannel(std::unique_ptr<net::Channel> inner, std::string member)
      : inner_(std::move(inner)), member_(std::move(member)) {}
  void Close() override { inner_->Close(); }
  void SetTimeout(absl::Duration timeout) override { inner_->SetTimeout(timeout); }

 protected:
  absl::Status DoSend(ByteSpan message) override {
    inner_->set_max_message_len(max_message_len());
    return Named(inner_->Send(message));
  }
  absl::StatusOr<Bytes> DoRecv(size_t max_len) override {
    inner_->set_max_message_len(max_len);
    absl::StatusOr<Bytes> m = inner_->Recv();
    if (!m.ok()) return Named(m.status());
    return m;
  }

 private:
  absl::Status Named(const absl::Status& s) const {
    if (s.ok()) return s;
    return absl::Status(s.code(), StrCat(member_, ": ", std::string(s.message())));
  }

  std::unique_ptr<net::Channel> inner_;
  std::string member_;
};

void CloseAll(std::vector<std::unique_ptr<net::Channel>>& channels) {
  for (auto& c : channels) {
    if (c) c->Close();
  }
}

}  // namespace

absl::StatusOr<std::vector<std::unique_ptr<net::Channel>>> ConnectMesh(
    absl::Span<const Party> parties, int me, const net::Identity& identity,
    const MeshOptions& options) {
  const int n = static_cast<int>(parties.size());
  if (n < 2 || me < 0 || me >= n) {
    return absl::InvalidArgumentError(StrCat("party index ", me, " among ", n, " members"));
  }
  if (identity.fingerprint() != parties[me].fingerprint) {
    return absl::InvalidArgumentError(StrCat("our key is ", identity.fingerprint(),
                                             ", not the one pinned for ", parties[me].name));
  }
  const absl::Time deadline = absl::Now() + options.setup_timeout;
  std::vector<std::unique_ptr<net::Channel>> channels(n);

  // Listen before dialling, so that the members after us find us early.
  std::unique_ptr<net::TlsListener> listener;
  if (me < n - 1) {
    net::TlsOptions tls;
    tls.identity = &identity;
    tls.io_timeout = options.io_timeout;
    for (int j = me + 1; j < n; ++j) tls.peer_fingerprints.push_back(parties[j].fingerprint);
    absl::StatusOr<std::unique_ptr<net::TlsListener>> l =
        net::TlsListener::Listen(parties[me].host_port.host, parties[me].host_port.port, tls);
    if (!l.ok()) {
      return absl::Status(l.status().code(), StrCat("cannot listen on ", parties[me].address,
                                                    ": ", std::string(l.status().message())));
    }
    listener = *std::move(l);
  }

  // Dial every member before us, each on its own thread.
  std::atomic<bool> dial_failed{false};
  std::vector<absl::Status> dial_errors(n);
  std::vector<std::thread> dialers;
  for (int j = 0; j < me; ++j) {
    dialers.emplace_back([&, j] {
      net::TlsOptions tls;
      tls.identity = &identity;
      tls.peer_fingerprint = parties[j].fingerprint;
      tls.connect_timeout = std::max(deadline - absl::Now(), absl::ZeroDuration());
      tls.io_timeout = options.io_timeout;
      absl::StatusOr<std::unique_ptr<net::Channel>> ch =
          net::TlsConnect(parties[j].host_port.host, parties[j].host_port.port, tls);
      if (ch.ok()) {
        channels[j] = *std::move(ch);
        return;
      }
      dial_errors[j] = absl::Status(ch.status().code(), StrCat(Member(parties[j]), ": ",
                                                             std::string(ch.status().message())));
      dial_failed = true;
    });
  }

  // Accept every member after us, until all are in, a dial failed, or the
  // deadline. Only this thread touches channels[me + 1 ..].
  absl::Status last_refusal;
  auto missing_after_me = [&] {
    for (int j = me + 1; j < n; ++j) {
      if (!channels[j]) return true;
    }
    return false;
  };
  while (listener && missing_after_me() && !dial_failed) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    absl::StatusOr<net::PendingTls> pending = listener->AcceptConnection(std::min(left, kAcceptSlice));
    if (!pending.ok()) {
      if (pending.status().code() == absl::StatusCode::kDeadlineExceeded) continue;
      last_refusal = pending.status();
      break;  // the listener itself failed
    }
    std::string fingerprint;
    absl::StatusOr<std::unique_ptr<net::Channel>> ch = pending->Handshake(
        std::clamp(deadline - absl::Now(), absl::Milliseconds(1), kMaxHandshake), &fingerprint);
    if (!ch.ok()) {
      last_refusal = absl::Status(ch.status().code(),
                                  StrCat("refused a connection from ", pending->address(), ": ",
                                         std::string(ch.status().message())));
      if (options.on_refused) options.on_refused(std::string(last_refusal.message()));
      continue;
    }
    for (int j = me + 1; j < n; ++j) {
      if (parties[j].fingerprint != fingerprint) continue;
      if (channels[j]) channels[j]->Close();
      channels[j] = *std::move(ch);
      break;
    }
  }
  for (std::thread& t : dialers) t.join();
  listener.reset();

  for (int j = 0; j < me; ++j) {
    if (!dial_errors[j].ok() && dial_errors[j].code() != absl::StatusCode::kDeadlineExceeded) {
      CloseAll(channels);
      return dial_errors[j];
    }
  }
  std::vector<std::string> missing;
  for (int j = 0; j < n; ++j) {
    if (j != me && !channels[j]) missing.push_back(Member(parties[j]));
  }
  if (missing.empty()) {
    for (int j = 0; j < n; ++j) {
      if (j != me) {
        channels[j] = std::make_unique<MemberChannel>(std::move(channels[j]), Member(parties[j]));
      }
    }
    return channels;
  }
  CloseAll(channels);
  std::string message =
      StrCat("no connection with ", StrJoin(missing, ", "), " within ",
             absl::FormatDuration(options.setup_timeout));
  if (!last_refusal.ok()) StrAppend(message, "; last ", std::string(last_refusal.message()));
  return absl::DeadlineExceededError(message);
}

}  // namespace liaison::session
