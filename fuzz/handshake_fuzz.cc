// Fuzz target: the session handshake (session/handshake.h) against a peer
// whose Offer and Verdict come from the fuzz input.
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "session/handshake.h"

namespace {

using liaison::session::Offer;

Offer MyOffer() {
  Offer o;
  o.protocol = "rr22-psi";
  o.protocol_version = 1;
  o.mode = "match";
  o.profile_name = "liaison-indicators";
  o.profile_version = 1;
  o.profile_digest = std::string(64, 'a');
  o.set_size = 1000;
  o.software_version = "0.1.0";
  o.max_peer_set_size = 1 << 20;
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  liaison::fuzz::ScriptedPeer peer(data, size);
  (void)liaison::session::Handshake(peer, MyOffer());
  return 0;
}

std::vector<std::string> LiaisonFuzzSeeds() {
  std::vector<std::string> seeds;
  for (bool agree : {true, false}) {
    Offer theirs = MyOffer();
    if (!agree) theirs.profile_version = 2;
    seeds.push_back(liaison::fuzz::RecordScript(
        [](liaison::net::Channel& ch) {
          (void)liaison::session::Handshake(ch, MyOffer());
        },
        [&](liaison::net::Channel& ch) {
          (void)liaison::session::Handshake(ch, theirs);
        }));
  }
  return seeds;
}
