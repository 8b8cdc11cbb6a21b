// The suite every two-party PSI protocol of psi/ must pass, whatever its
// construction: exact intersections on small and medium sets and at the
// edges (one item, no overlap, everything shared, one empty side), the
// result to one side only, and a peer that closes or sends a truncated
// first message ending the run with the documented code. A new protocol
// gets an adapter below and joins the list.
#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "crypto/prng.h"
#include "psi/ecdh_psi.h"
#include "psi/psi.h"
#include "psi/rr22_psi.h"
#include "testing/faulty_channel.h"
#include "testing/sets.h"
#include "testing/two_parties.h"

namespace liaison::psi {
namespace {

using ::testing::UnorderedElementsAreArray;

constexpr uint64_t kSeed = 0x7375697465;  // logged: sets and Prngs derive from it

// Each adapter runs one side: Run(channel, items, prng, i_receive,
// peer_receives).
struct Rr22SemiHonest {
  static absl::StatusOr<PsiResult> Run(net::Channel& ch, const std::vector<std::string>& items,
                                       crypto::Prng& prng, bool i_receive, bool peer_receives) {
    Rr22PsiParams p;
    p.i_receive = i_receive;
    p.peer_receives = peer_receives;
    p.num_threads = 2;
    p.chunk_len = 1000;
    return Rr22Psi(p).Run(ch, items, prng);
  }
};

struct Rr22Malicious {
  static absl::StatusOr<PsiResult> Run(net::Channel& ch, const std::vector<std::string>& items,
                                       crypto::Prng& prng, bool i_receive, bool peer_receives) {
    Rr22PsiParams p;
    p.i_receive = i_receive;
    p.peer_receives = peer_receives;
    p.num_threads = 2;
    p.chunk_len = 1000;
    p.malicious = true;
    return Rr22Psi(p).Run(ch, items, prng);
  }
};

struct Ecdh {
  static absl::StatusOr<PsiResult> Run(net::Channel& ch, const std::vector<std::string>& items,
                                       crypto::Prng& prng, bool i_receive, bool peer_receives) {
    EcdhPsiParams p;
    p.i_receive = i_receive;
    p.peer_receives = peer_receives;
    return EcdhPsi(p).Run(ch, items, prng);
  }
};

template <typename Proto>
class PsiProtocolSuite : public ::testing::Test {
 public:
  using Results = std::pair<absl::StatusOr<PsiResult>, absl::StatusOr<PsiResult>>;

  Results RunBoth(const testing::TwoSets& sets, bool a_receives, bool b_receives,
                  const testing::PairOptions& options = {}) {
    return testing::RunPair<PsiResult>(
        [&](net::Channel& ch) {
          crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
          return Proto::Run(ch, sets.a, prng, a_receives, b_receives);
        },
        [&](net::Channel& ch) {
          crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
          return Proto::Run(ch, sets.b, prng, b_receives, a_receives);
        },
        options);
  }

  static std::vector<std::string> Pick(const std::vector<std::string>& items,
                                       const std::vector<size_t>& idx) {
    std::vector<std::string> out;
    for (size_t i : idx) out.push_back(items[i]);
    return out;
  }

  void ExpectExact(size_t na, size_t nb, size_t common) {
    SCOPED_TRACE(::testing::Message() << "na=" << na << " nb=" << nb << " common=" << common
                                      << " seed=" << kSeed);
    const testing::TwoSets sets = testing::MakeSets(na, nb, common, kSeed + na + 7 * nb);
    auto [a, b] = RunBoth(sets, true, true);
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_THAT(Pick(sets.a, a->matched), UnorderedElementsAreArray(sets.common));
    EXPECT_THAT(Pick(sets.b, b->matched), UnorderedElementsAreArray(sets.common));
    EXPECT_TRUE(std::is_sorted(a->matched.begin(), a->matched.end()));
    EXPECT_EQ(a->intersection_size, common);
    EXPECT_EQ(b->intersection_size, common);
    EXPECT_EQ(a->peer_set_size, nb);
    EXPECT_EQ(b->peer_set_size, na);
  }
};

using Protocols = ::testing::Types<Rr22SemiHonest, Rr22Malicious, Ecdh>;
TYPED_TEST_SUITE(PsiProtocolSuite, Protocols);

TYPED_TEST(PsiProtocolSuite, PartialOverlapIsExact) { this->ExpectExact(1000, 800, 250); }
TYPED_TEST(PsiProtocolSuite, MediumUnequalSets) { this->ExpectExact(20000, 5000, 1234); }
TYPED_TEST(PsiProtocolSuite, OneItemEach) {
  this->ExpectExact(1, 1, 1);
  this->ExpectExact(1, 1, 0);
}
TYPED_TEST(PsiProtocolSuite, NoOverlapAndFullOverlap) {
  this->ExpectExact(300, 300, 0);
  this->ExpectExact(300, 300, 300);
}
TYPED_TEST(PsiProtocolSuite, AnEmptySideGivesEmptyResults) { this->ExpectExact(0, 100, 0); }

TYPED_TEST(PsiProtocolSuite, ResultToOneSideOnly) {
  const testing::TwoSets sets = testing::MakeSets(500, 400, 120, kSeed + 3);
  auto [a, b] = this->RunBoth(sets, true, false);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(a->received);
  EXPECT_THAT(this->Pick(sets.a, a->matched), UnorderedElementsAreArray(sets.common));
  EXPECT_FALSE(b->received);
  EXPECT_TRUE(b->matched.empty());
  EXPECT_EQ(b->intersection_size, 0u);
}

// RunWithFaultOnB runs both sides with `fault` on b's first message and
// returns a's result; b must fail too.
template <typename Suite>
absl::Status RunWithFaultOnB(Suite& suite, testing::Fault::Kind kind, uint64_t seed) {
  const testing::TwoSets sets = testing::MakeSets(100, 100, 10, seed);
  testing::PairOptions o;
  o.timeout = absl::Seconds(30);
  o.wrap_b = [kind](std::unique_ptr<net::Channel> c) -> std::unique_ptr<net::Channel> {
    return std::make_unique<testing::FaultyChannel>(
        std::move(c), testing::Fault{.kind = kind, .message_index = 0});
  };
  auto [a, b] = suite.RunBoth(sets, true, true, o);
  EXPECT_FALSE(b.ok());
  return a.status();
}

TYPED_TEST(PsiProtocolSuite, PeerClosingBeforeItsFirstMessageIsUnavailable) {
  const absl::Status a = RunWithFaultOnB(*this, testing::Fault::kCloseBefore, kSeed + 4);
  EXPECT_EQ(a.code(), absl::StatusCode::kUnavailable) << a;
}

TYPED_TEST(PsiProtocolSuite, TruncatedFirstMessageIsDataLoss) {
  const absl::Status a = RunWithFaultOnB(*this, testing::Fault::kTruncate, kSeed + 5);
  EXPECT_EQ(a.code(), absl::StatusCode::kDataLoss) << a;
}

}  // namespace
}  // namespace liaison::psi
