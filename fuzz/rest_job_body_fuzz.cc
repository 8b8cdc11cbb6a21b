// Fuzz target: the JSON body of POST /v1/jobs (node/rest_api.h,
// ParseJobSubmission), as a client of the REST API sends it. Properties
// checked, beyond not crashing: a failure is InvalidArgument, and a
// success has the three required fields.
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "node/rest_api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<liaison::node::JobSubmission> s = liaison::node::ParseJobSubmission(body);
  if (!s.ok()) {
    if (s.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  // An empty string is present, so only a missing field would be wrong; the
  // defaults of the optional ones must survive.
  if (s->question.empty() && body.find("question") == std::string_view::npos) std::abort();
  return 0;
}

std::vector<std::string> LiaisonFuzzSeeds() {
  return {
      R"({"alliance":"fin","peer":"b","dataset":"ind"})",
      R"({"alliance": "fincrime", "peer": "bravo", "dataset": "indicators", "question": "match",
          "protocol": "rr22", "peer_dataset": "watchlist", "result_to": "both"})",
      R"({"alliance":"fin","peer":"b","dataset":"ind","protocol":"ecdh","result_to":"me"})",
      R"({"alliance":"fin","peer":"b","dataset":"ind","extra":[1,2,{"x":null}]})",
      R"({"alliance":"\u00e9t\u00e9","peer":"b","dataset":"ind","question":"count"})",
  };
}
