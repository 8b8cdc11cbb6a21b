// Fuzz target: the parties file parser (session/parties.h), text from the
// fuzz input into ParseParties. Properties checked, beyond not crashing: a
// failure is InvalidArgument and names the source; a success lists 2 to
// mpsi::kMaxParties members with valid, pairwise distinct names, addresses
// and canonical fingerprints, in increasing line order, and its digest is
// well formed.
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "mpsi/mpsi.h"
#include "session/parties.h"

namespace {

constexpr char kSource[] = "parties.txt";

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<liaison::session::Party>> parties =
      liaison::session::ParseParties(text, kSource);
  if (!parties.ok()) {
    Check(parties.status().code() == absl::StatusCode::kInvalidArgument);
    Check(parties.status().message().substr(0, sizeof(kSource) - 1) == kSource);
    return 0;
  }
  Check(parties->size() >= 2 && parties->size() <= liaison::mpsi::kMaxParties);
  std::set<std::string> names, fingerprints;
  int last_line = 0;
  for (const liaison::session::Party& p : *parties) {
    Check(!p.name.empty() && p.name.size() <= liaison::session::kMaxPartyNameLen);
    Check(names.insert(p.name).second);
    Check(fingerprints.insert(p.fingerprint).second);
    Check(p.fingerprint.size() == 71 && p.fingerprint.substr(0, 7) == "sha256:");
    Check(p.host_port.port != 0 && !p.host_port.host.empty());
    Check(p.line > last_line);
    last_line = p.line;
  }
  Check(liaison::session::PartiesDigest(*parties).size() == 71);
  return 0;
}

std::vector<std::string> LiaisonFuzzSeeds() {
  const std::string a = "sha256:" + std::string(64, 'a');
  const std::string b = "SHA256:" + std::string(64, 'B');
  const std::string c = "sha256:" + std::string(64, 'c');
  return {
      "# name address key\nalpha 127.0.0.1:7401 " + a + "\nbravo\t[::1]:7402\t" + b +
          "  # second\n\ncharlie node-c.example.org:7403 " + c + "\r\n",
      "alpha 127.0.0.1:7401 " + a + "\nalpha 127.0.0.1:7402 " + c + "\n",
      "alpha 127.0.0.1:0 " + a + "\nbravo host:1 sha256:12\n",
  };
}
