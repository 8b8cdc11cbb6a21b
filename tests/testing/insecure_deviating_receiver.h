// InsecureDeviatingReceiver makes a psi::SharedOutputPsiReceiver that
// cheats in a way the test chooses: it rewrites its per-bin OPRF keys (for
// example to put one item of interest into all three of its candidate
// bins) or its decoded payload words (to scale or shift what it feeds into
// the sums). It plays the adversarial receiver of the malicious-model
// tests; nothing in src/ can build one.
#ifndef LIAISON_TESTS_TESTING_INSECURE_DEVIATING_RECEIVER_H_
#define LIAISON_TESTS_TESTING_INSECURE_DEVIATING_RECEIVER_H_

#include <utility>

#include "psi/shared_output_psi.h"

namespace liaison::testing {

class InsecureDeviatingReceiver {
 public:
  using BinKeysFn = std::function<void(const crypto::Block& cuckoo_seed, uint64_t num_bins,
                                       absl::Span<crypto::Block> bin_keys)>;
  using PayloadFn = std::function<void(absl::Span<uint64_t> payload)>;

  static psi::SharedOutputPsiReceiver Make(psi::SharedOutputPsiParams params, BinKeysFn bin_keys,
                                           PayloadFn payload = nullptr) {
    psi::SharedOutputPsiReceiver::Deviation d;
    d.bin_keys = std::move(bin_keys);
    d.payload = std::move(payload);
    return psi::SharedOutputPsiReceiver(std::move(params), std::move(d));
  }
};

}  // namespace liaison::testing

#endif  // LIAISON_TESTS_TESTING_INSECURE_DEVIATING_RECEIVER_H_
