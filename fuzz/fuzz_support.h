// Shared pieces of the fuzz targets (fuzz/*_fuzz.cc).
//
// Each target defines LLVMFuzzerTestOneInput and LiaisonFuzzSeeds. Built
// with clang and -DLIAISON_FUZZ=ON a target is a libFuzzer binary; otherwise
// it is linked with replay_main.cc into a driver that runs the seeds, any
// corpus files given, and a fixed number of deterministic mutations of the
// seeds — the form ctest runs on every build (fuzz/CMakeLists.txt).
//
// Protocol targets play one side of a protocol against a ScriptedPeer: the
// fuzz input is the sequence of messages "the peer" sends, each as a
// little-endian u32 length and that many bytes (the last one may be cut
// short). Seeds are recorded from real runs against an honest peer, so the
// unmutated seed drives the side under test through the whole protocol.
#ifndef LIAISON_FUZZ_FUZZ_SUPPORT_H_
#define LIAISON_FUZZ_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/bytes.h"
#include "net/channel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

// LiaisonFuzzSeeds returns a few valid inputs that reach deep into the code
// under test. Defined by each target.
std::vector<std::string> LiaisonFuzzSeeds();

namespace liaison::fuzz {

// ScriptedPeer is a Channel whose Recv returns the messages scripted in a
// fuzz input, in order, then Unavailable; Send accepts and drops anything.
class ScriptedPeer final : public net::Channel {
 public:
  ScriptedPeer(const uint8_t* data, size_t size);
  void Close() override { closed_ = true; }
  void SetTimeout(absl::Duration) override {}

 protected:
  absl::Status DoSend(ByteSpan message) override;
  absl::StatusOr<Bytes> DoRecv(size_t max_len) override;

 private:
  std::vector<Bytes> messages_;
  size_t next_ = 0;
  bool closed_ = false;
};

// EncodeScript is the inverse of ScriptedPeer's parsing.
std::string EncodeScript(const std::vector<Bytes>& messages);

// RecordScript runs `under_test` and `peer` against each other over a
// LocalPair, on two threads, and returns the messages `under_test` received,
// as a script: replayed to the same deterministic side, it runs it through
// the whole protocol.
std::string RecordScript(
    const std::function<void(net::Channel&)>& under_test,
    const std::function<void(net::Channel&)>& peer);

// SideFn runs the side under test over `channel` with configuration byte
// `config`, deterministically.
using SideFn = std::function<absl::Status(net::Channel& channel, uint8_t config)>;
// PeerFn runs the honest peer of a SideFn with the mirrored configuration.
using PeerFn = std::function<void(net::Channel& channel, uint8_t config)>;

// RunScripted runs `side` against the ScriptedPeer of data[1..] with
// configuration byte data[0] (nothing for an empty input).
void RunScripted(const uint8_t* data, size_t size, const SideFn& side);

// RecordSeeds returns, for each configuration byte, that byte followed by
// the script recorded from `side` against `peer`; each is checked to replay
// in full (ExpectReplayOk).
std::vector<std::string> RecordSeeds(const std::vector<uint8_t>& configs,
                                     const SideFn& side, const PeerFn& peer);

// ExpectReplayOk aborts unless `run` succeeds against the ScriptedPeer of
// `seed` (without its first, configuration byte): a check that a recorded
// seed replays the honest run in full.
void ExpectReplayOk(const std::string& seed,
                    const std::function<absl::Status(net::Channel&)>& run);

// TestItems returns `n` distinct items "fuzz-item-<first + i>".
std::vector<std::string> TestItems(size_t n, size_t first = 0);

}  // namespace liaison::fuzz

#endif  // LIAISON_FUZZ_FUZZ_SUPPORT_H_
