#include "fuzz_support.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <utility>

#include "base/strings.h"

namespace liaison::fuzz {

ScriptedPeer::ScriptedPeer(const uint8_t* data, size_t size) {
  size_t pos = 0;
  while (pos < size) {
    uint32_t len = 0;
    for (size_t i = 0; i < 4 && pos < size; ++i, ++pos) {
      len |= static_cast<uint32_t>(data[pos]) << (8 * i);
    }
    const size_t take = std::min<size_t>(len, size - pos);
    messages_.emplace_back(data + pos, data + pos + take);
    pos += take;
  }
}

absl::Status ScriptedPeer::DoSend(ByteSpan) {
  if (closed_) return absl::UnavailableError("scripted peer: closed");
  return absl::OkStatus();
}

absl::StatusOr<Bytes> ScriptedPeer::DoRecv(size_t max_len) {
  if (closed_ || next_ == messages_.size()) {
    return absl::UnavailableError("scripted peer: no more messages");
  }
  if (messages_[next_].size() > max_len) {
    return absl::DataLossError("scripted peer: message over the limit");
  }
  return std::move(messages_[next_++]);
}

std::string EncodeScript(const std::vector<Bytes>& messages) {
  std::string out;
  for (const Bytes& m : messages) {
    const uint32_t len = static_cast<uint32_t>(m.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(len >> (8 * i)));
    out.append(reinterpret_cast<const char*>(m.data()), m.size());
  }
  return out;
}

namespace {

// Recorder passes everything through to `inner` and keeps what it receives.
class Recorder final : public net::Channel {
 public:
  explicit Recorder(net::Channel& inner) : inner_(inner) {}
  void Close() override { inner_.Close(); }
  void SetTimeout(absl::Duration t) override { inner_.SetTimeout(t); }
  std::vector<Bytes> received;

 protected:
  absl::Status DoSend(ByteSpan message) override { return inner_.Send(message); }
  absl::StatusOr<Bytes> DoRecv(size_t) override {
    absl::StatusOr<Bytes> m = inner_.Recv();
    if (m.ok()) received.push_back(*m);
    return m;
  }

 private:
  net::Channel& inner_;
};

}  // namespace

std::string RecordScript(const std::function<void(net::Channel&)>& under_test,
                         const std::function<void(net::Channel&)>& peer) {
  auto [a, b] = net::LocalPair();
  Recorder recorder(*a);
  std::thread other([&, ch = b.get()] {
    peer(*ch);
    ch->Close();
  });
  under_test(recorder);
  a->Close();
  other.join();
  return EncodeScript(recorder.received);
}

void ExpectReplayOk(const std::string& seed,
                    const std::function<absl::Status(net::Channel&)>& run) {
  const auto* data = reinterpret_cast<const uint8_t*>(seed.data());
  ScriptedPeer peer(data + 1, seed.size() - 1);
  absl::Status st = run(peer);
  if (!st.ok()) {
    std::fprintf(stderr, "fuzz seed does not replay: %s\n",
                 std::string(st.message()).c_str());
    std::abort();
  }
}

void RunScripted(const uint8_t* data, size_t size, const SideFn& side) {
  if (size == 0) return;
  ScriptedPeer peer(data + 1, size - 1);
  (void)side(peer, data[0]);
}

std::vector<std::string> RecordSeeds(const std::vector<uint8_t>& configs,
                                     const SideFn& side, const PeerFn& peer) {
  std::vector<std::string> seeds;
  for (uint8_t config : configs) {
    std::string script = RecordScript(
        [&](net::Channel& ch) { (void)side(ch, config); },
        [&](net::Channel& ch) { peer(ch, config); });
    seeds.push_back(std::string(1, static_cast<char>(config)) + script);
    ExpectReplayOk(seeds.back(),
                   [&](net::Channel& ch) { return side(ch, config); });
  }
  return seeds;
}

std::vector<std::string> TestItems(size_t n, size_t first) {
  std::vector<std::string> items;
  items.reserve(n);
  for (size_t i = 0; i < n; ++i) items.push_back(StrCat("fuzz-item-", first + i));
  return items;
}

}  // namespace liaison::fuzz
