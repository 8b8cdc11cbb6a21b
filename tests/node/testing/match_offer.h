// MatchOffer: a well-formed rr22 match offer of alliance "fin" with five
// items, profile V1 and this build's software version, for tests of the
// peer protocol and of the policy that answers it.
#ifndef LIAISON_TESTS_NODE_TESTING_MATCH_OFFER_H_
#define LIAISON_TESTS_NODE_TESTING_MATCH_OFFER_H_

#include <cstdint>
#include <string>

#include "base/version.h"
#include "data/profile.h"
#include "node/peer_protocol.h"

namespace liaison::node::testing {

inline JobOffer MatchOffer() {
  JobOffer o;
  o.job_id = "job_" + std::string(32, 'a');
  o.alliance = "fin";
  o.question = "match";
  o.protocol = "rr22";
  o.set_size = 5;
  o.profile_name = std::string(data::Profile::V1().name());
  o.profile_version = static_cast<uint32_t>(data::Profile::V1().version());
  o.profile_digest = data::Profile::V1().digest();
  o.software_version = kVersion;
  o.security = session::Security::kMalicious;  // the default for rr22 match
  return o;
}

}  // namespace liaison::node::testing

#endif  // LIAISON_TESTS_NODE_TESTING_MATCH_OFFER_H_
