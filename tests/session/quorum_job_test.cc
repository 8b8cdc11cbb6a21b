#include "session/quorum_job.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mpsi/quorum.h"
#include "net/identity.h"
#include "session/mesh.h"
#include "testing/faulty_channel.h"
#include "testing/n_parties.h"
#include "session/testing/mesh_members.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace liaison::session {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr uint64_t kSeed = 0x9a0c;

std::string Ip(int i) { return StrCat("10.", (i >> 16) & 255, ".", (i >> 8) & 255, ".", i & 255); }

// FaultOn returns an NPartyOptions::wrap that injects `fault` into what
// member `from` sends member `to`.
auto FaultOn(int from, int to, testing::Fault fault) {
  return [=](int f, int t, std::unique_ptr<net::Channel> ch) -> std::unique_ptr<net::Channel> {
    if (f != from || t != to) return ch;
    return std::make_unique<testing::FaultyChannel>(std::move(ch), fault);
  };
}

// Fixture holds one input file per member, their records, and a parties
// list with made-up addresses and keys (the LocalPair tests dial nobody).
class QuorumJobTest : public ::testing::Test {
 protected:
  // AddMember writes `lines` as member `name`'s input and loads it.
  void AddMember(const std::string& name, const std::vector<std::string>& lines) {
    std::string text;
    for (const std::string& l : lines) text += l + "\n";
    const std::string path = tmp_.Sub(name + ".txt");
    testing::WriteFile(path, text);
    data::InputSpec spec;
    spec.path = path;
    absl::StatusOr<RecordSet> set = LoadRecordSet(spec, data::Profile::V1(), nullptr);
    ASSERT_TRUE(set.ok()) << set.status();
    sets_.push_back(*std::move(set));
    Party p;
    p.name = name;
    p.line = static_cast<int>(parties_.size()) + 1;
    p.host_port = {"127.0.0.1", static_cast<uint16_t>(7400 + parties_.size())};
    p.address = StrCat("127.0.0.1:", p.host_port.port);
    char hex[65];
    std::snprintf(hex, sizeof(hex), "%064zx", parties_.size() + 1);
    p.fingerprint = StrCat("sha256:", hex);
    parties_.push_back(p);
  }

  // RunAll runs every member's job over a LocalPair mesh, member i with
  // params[i] (params[0] for all when there is one) and its own view of the
  // parties (views[i], default: parties_).
  std::vector<absl::StatusOr<QuorumJobResult>> RunAll(
      std::vector<QuorumJobParams> params, const testing::NPartyOptions& options = {},
      std::vector<std::vector<Party>> views = {}) {
    const int n = static_cast<int>(sets_.size());
    return testing::RunNParties<QuorumJobResult>(
        n,
        [&](int i, absl::Span<net::Channel* const> channels) {
          crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + i);
          const QuorumJobParams& p = params.size() == 1 ? params[0] : params[i];
          mpsi::QuorumNoise noise;
          if (p.dp) {
            absl::StatusOr<mpsi::QuorumNoise> drawn = mpsi::QuorumNoise::Draw(*p.dp, prng);
            if (!drawn.ok()) return absl::StatusOr<QuorumJobResult>(drawn.status());
            noise = *std::move(drawn);
          }
          return RunQuorumJob(channels, i, views.empty() ? parties_ : views[i], p, sets_[i],
                              prng, std::move(noise));
        },
        options);
  }

  // Values are the canonical values of member i's result rows.
  std::vector<std::string> Values(int i, const QuorumJobResult& r) const {
    std::vector<std::string> out;
    for (size_t row : r.rows) out.push_back(sets_[i].records[row].item.value);
    return out;
  }

  testing::ScopedTempDir tmp_;
  std::vector<RecordSet> sets_;
  std::vector<Party> parties_;
};

TEST_F(QuorumJobTest, FiveMembersLearnTheirRecordsHeldByAllWithDuplicates) {
  // Items 0..19 are everyone's; member i also holds 100·(i+1) + 0..9 of
  // its own. Member 1 lists item 3 twice (once defanged): both rows count.
  for (int i = 0; i < 5; ++i) {
    std::vector<std::string> lines;
    for (int k = 0; k < 10; ++k) lines.push_back(Ip(100 * (i + 1) + k));
    for (int k = 19; k >= 0; --k) lines.push_back(Ip(k));
    if (i == 1) lines.push_back("10[.]0.0.3");
    AddMember(StrCat("m", i), lines);
  }
  std::vector<absl::StatusOr<QuorumJobResult>> got = RunAll({QuorumJobParams{}});
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(got[i].ok()) << i << ": " << got[i].status();
    const QuorumJobResult& r = *got[i];
    EXPECT_EQ(r.threshold, 5);
    EXPECT_EQ(r.num_qualifying, 20u);
    std::vector<std::string> want;
    for (int k = 19; k >= 0; --k) want.push_back(Ip(k));
    if (i == 1) want.push_back(Ip(3));
    EXPECT_THAT(Values(i, r), ElementsAreArray(want)) << "member " << i;
    EXPECT_THAT(r.holders, ::testing::Each(5u));
    EXPECT_THAT(r.set_sizes, ElementsAre(30u, 30u, 30u, 30u, 30u));
    EXPECT_GT(r.bytes_sent, 0u);
  }
}

TEST_F(QuorumJobTest, HiddenCountsGiveZeroHolders) {
  AddMember("a", {Ip(1), Ip(2)});
  AddMember("b", {Ip(2), Ip(3)});
  QuorumJobParams p;
  p.show_count = false;
  std::vector<absl::StatusOr<QuorumJobResult>> got = RunAll({p});
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(got[i].ok()) << got[i].status();
    EXPECT_THAT(Values(i, *got[i]), ElementsAre(Ip(2)));
    EXPECT_THAT(got[i]->holders, ElementsAre(0u));
  }
}

TEST_F(QuorumJobTest, MismatchedThresholdFailsAtEveryMemberNamingIt) {
  for (const char* name : {"alpha", "bravo", "charlie"}) AddMember(name, {Ip(1), Ip(2)});
  QuorumJobParams all, two;
  two.threshold = 2;
  std::vector<absl::StatusOr<QuorumJobResult>> got = RunAll({all, all, two});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].status().code(), absl::StatusCode::kFailedPrecondition) << got[i].status();
  }
  EXPECT_THAT(got[0].status().message(),
              HasSubstr("the threshold differs: alpha asks for t = 3, charlie for t = 2"));
  EXPECT_THAT(got[2].status().message(),
              HasSubstr("the threshold differs: charlie asks for t = 2, alpha for t = 3"));
}

// The count-only job, its DP parameters and reveal = all are terms that
// every pair compares: a difference stops every member, named.
TEST_F(QuorumJobTest, MismatchedOutputRevealOrDpFailsAtEveryMemberNamingIt) {
  for (const char* name : {"alpha", "bravo", "charlie"}) AddMember(name, {Ip(1), Ip(2)});
  QuorumJobParams items, count, noised, laplace_half, reveal;
  items.threshold = count.threshold = noised.threshold = laplace_half.threshold = 2;
  reveal.threshold = 2;
  count.count_only = noised.count_only = laplace_half.count_only = true;
  noised.dp.emplace();
  noised.dp->epsilon = 1;
  laplace_half.dp.emplace();
  laplace_half.dp->epsilon = mpq_class(1, 2);
  reveal.reveal = mpsi::QuorumReveal::kAll;
  struct Case {
    QuorumJobParams ours, charlies;
    const char* alpha_says;
  };
  const std::vector<Case> cases = {
      {items, count,
       "the output differs: alpha asks for the qualifying items, charlie for only the count "
       "of qualifying items"},
      {count, noised,
       "the DP noise differs: alpha asks for no noise, charlie for discrete_laplace with "
       "epsilon = 1"},
      {noised, laplace_half,
       "the DP noise differs: alpha asks for discrete_laplace with epsilon = 1, charlie "
       "for discrete_laplace with epsilon = 1/2"},
      {items, reveal,
       "who learns the qualifying items differs: alpha asks for reveal = holders, charlie for "
       "reveal = all"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.alpha_says);
    std::vector<absl::StatusOr<QuorumJobResult>> got = RunAll({c.ours, c.ours, c.charlies});
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(got[i].status().code(), absl::StatusCode::kFailedPrecondition) << got[i].status();
    }
    EXPECT_THAT(got[0].status().message(), HasSubstr(c.alpha_says));
  }
}

TEST_F(QuorumJobTest, CountOnlyGivesEveryMemberTheNumberOfQualifyingItems) {
  AddMember("a", {Ip(1), Ip(2), Ip(3), Ip(9)});
  AddMember("b", {Ip(2), Ip(3), "10[.]0.0.3"});
  AddMember("c", {Ip(3), Ip(4), Ip(1)});
  for (const auto& [t, want] : std::vector<std::pair<int, int64_t>>{{1, 5}, {2, 3}, {3, 1}}) {
    SCOPED_TRACE(StrCat("t = ", t));
    QuorumJobParams p;
    p.threshold = t;
    p.count_only = true;
    std::vector<absl::StatusOr<QuorumJobResult>> got = RunAll({p});
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(got[i].ok()) << i << ": " << got[i].status();
      ASSERT_TRUE(got[i]->count.has_value());
      EXPECT_EQ(got[i]->count->estimate, want) << "member " << i;
      EXPECT_TRUE(got[i]->rows.empty());
      EXPECT_EQ(got[i]->num_qualifying, 0u);
    }
  }
}

TEST_F(QuorumJobTest, DpCountWithoutItsNoiseOrItemsWithDpAreInvalidArgument) {
  for (const char* name : {"a", "b", "c"}) AddMember(name, {Ip(1)});
  QuorumJobParams p;
  p.threshold = 2;
  p.dp.emplace();
  EXPECT_EQ(ValidateQuorumParams(3, p).code(), absl::StatusCode::kInvalidArgument);
  p.count_only = true;
  EXPECT_TRUE(ValidateQuorumParams(3, p).ok());
  testing::NPartyMesh mesh = testing::MakeMesh(3);
  std::vector<net::Channel*> channels = {nullptr, mesh.ends[0][1].get(), mesh.ends[0][2].get()};
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  EXPECT_EQ(RunQuorumJob(channels, 0, parties_, p, sets_[0], prng).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(mesh.ends[0][1]->bytes_sent(), 0u);
  QuorumJobParams hidden_all;
  hidden_all.threshold = 2;
  hidden_all.show_count = false;
  hidden_all.reveal = mpsi::QuorumReveal::kAll;
  EXPECT_EQ(ValidateQuorumParams(3, hidden_all).code(), absl::StatusCode::kInvalidArgument);
}

// reveal = all: a member also gets the qualifying items it does not hold,
// as 128-bit items (QuorumItems of the key), with their holder counts.
TEST_F(QuorumJobTest, RevealAllGivesTheOtherQualifyingItemsAsItems) {
  AddMember("a", {Ip(1), Ip(2), Ip(3)});
  AddMember("b", {Ip(2), Ip(3)});
  AddMember("c", {Ip(3), Ip(4), Ip(1)});
  QuorumJobParams p;
  p.threshold = 2;
  p.reveal = mpsi::QuorumReveal::kAll;
  std::vector<absl::StatusOr<QuorumJobResult>> got = RunAll({p});
  const std::string digest = PartiesDigest(parties_);
  ASSERT_TRUE(got[1].ok()) << got[1].status();
  ASSERT_TRUE(got[0].ok()) << got[0].status();
  ASSERT_TRUE(got[2].ok()) << got[2].status();
  // b holds 2 and 3; 1 (held by a and c) qualifies too.
  EXPECT_THAT(Values(1, *got[1]), ElementsAre(Ip(2), Ip(3)));
  ASSERT_EQ(got[1]->other_items.size(), 1u);
  EXPECT_THAT(got[1]->other_holders, ElementsAre(2u));
  // c's key for Ip(1) hashes to the item b was told about.
  const std::vector<crypto::Block> c_items = QuorumItems(sets_[2].keys, digest, 1);
  EXPECT_NE(std::find(c_items.begin(), c_items.end(), got[1]->other_items[0]), c_items.end());
  // a and c hold every qualifying item but one: 2 (a holds it) for c.
  EXPECT_TRUE(got[0]->other_items.empty());
  EXPECT_EQ(got[2]->other_items.size(), 1u);
}

TEST_F(QuorumJobTest, DifferentPartiesFilesFailAtEveryMember) {
  for (const char* name : {"alpha", "bravo", "charlie"}) AddMember(name, {Ip(1)});
  // charlie's file swaps alpha's and bravo's keys: indices would not agree.
  std::vector<Party> swapped = parties_;
  std::swap(swapped[0].fingerprint, swapped[1].fingerprint);
  std::vector<absl::StatusOr<QuorumJobResult>> got =
      RunAll({QuorumJobParams{}}, {}, {parties_, parties_, swapped});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].status().code(), absl::StatusCode::kFailedPrecondition) << got[i].status();
    EXPECT_THAT(got[i].status().message(), HasSubstr("the members differ"));
  }
}

// The node admits and charges a quorum job on every member's announced set
// size; a member that then brings another set (a cheating node, or a
// dataset swapped under it) is refused before any protocol message.
TEST_F(QuorumJobTest, AMemberBringingAnotherSetThanAdmittedIsRefusedEverywhere) {
  AddMember("alpha", {Ip(1), Ip(2)});
  AddMember("bravo", {Ip(1), Ip(2), Ip(3)});
  AddMember("charlie", {Ip(1)});
  QuorumJobParams p;
  p.threshold = 2;
  p.expected_set_sizes = {2, 2, 1};  // bravo was admitted with 2 items
  std::vector<absl::StatusOr<QuorumJobResult>> got = RunAll({p});
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(got[i].ok()) << i;
  EXPECT_EQ(got[0].status().code(), absl::StatusCode::kPermissionDenied) << got[0].status();
  EXPECT_THAT(got[0].status().message(), HasSubstr("bravo brings 3 items, not the 2"));
  EXPECT_EQ(got[2].status().code(), absl::StatusCode::kPermissionDenied) << got[2].status();
  // With the sizes as admitted the same job runs.
  p.expected_set_sizes = {2, 3, 1};
  got = RunAll({p});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(got[i].ok()) << got[i].status();
  QuorumJobParams wrong_count;
  wrong_count.expected_set_sizes = {2, 3};
  EXPECT_EQ(ValidateQuorumParams(3, wrong_count).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(QuorumJobTest, ObjectionBetweenTwoMembersStopsTheThirdToo) {
  AddMember("alpha", {Ip(1)});
  AddMember("bravo", {Ip(1)});
  AddMember("charlie", {Ip(1), Ip(2), Ip(3)});
  // Only bravo limits the others' sets: it refuses charlie, alpha does not.
  QuorumJobParams open, strict;
  strict.max_peer_set_size = 2;
  std::vector<absl::StatusOr<QuorumJobResult>> got = RunAll({open, strict, open});
  EXPECT_EQ(got[1].status().code(), absl::StatusCode::kPermissionDenied) << got[1].status();
  EXPECT_THAT(got[1].status().message(),
              HasSubstr("charlie's set of 3 items exceeds bravo's limit of 2"));
  for (int i : {0, 2}) {
    EXPECT_EQ(got[i].status().code(), absl::StatusCode::kPermissionDenied) << got[i].status();
    EXPECT_THAT(got[i].status().message(),
                HasSubstr("member bravo refused the job: charlie's set of 3 items"));
  }
}

TEST_F(QuorumJobTest, OverThresholdGivesEveryItemHeldByAtLeastT) {
  // Item k is held by the members holders_of[k]: by exactly 1 to 5 of 5,
  // and in patterns that are not prefixes. With t = 3 a member gets its
  // items held by 3 members or more, with their counts.
  const std::vector<std::vector<int>> holders_of = {{0}, {0, 1}, {0, 1, 2}, {0, 1, 2, 3},
                                                    {0, 1, 2, 3, 4}, {1, 3}, {2, 3, 4}};
  for (int i = 0; i < 5; ++i) {
    std::vector<std::string> lines;
    for (size_t k = 0; k < holders_of.size(); ++k) {
      for (int h : holders_of[k]) {
        if (h == i) lines.push_back(Ip(static_cast<int>(k)));
      }
    }
    lines.push_back(Ip(1000 + i));  // every member holds at least one item alone
    AddMember(StrCat("m", i), lines);
  }
  QuorumJobParams p;
  p.threshold = 3;
  std::vector<absl::StatusOr<QuorumJobResult>> got = RunAll({p});
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(got[i].ok()) << i << ": " << got[i].status();
    std::vector<std::string> want;
    std::vector<uint32_t> want_holders;
    for (size_t k = 0; k < holders_of.size(); ++k) {
      const auto& h = holders_of[k];
      if (h.size() >= 3 && std::find(h.begin(), h.end(), i) != h.end()) {
        want.push_back(Ip(static_cast<int>(k)));
        want_holders.push_back(static_cast<uint32_t>(h.size()));
      }
    }
    EXPECT_THAT(Values(i, *got[i]), ElementsAreArray(want)) << "member " << i;
    EXPECT_THAT(got[i]->holders, ElementsAreArray(want_holders)) << "member " << i;
  }
}

TEST_F(QuorumJobTest, HiddenCountsBelowNGiveOnlyWhichItemsQualify) {
  AddMember("a", {Ip(1), Ip(2), Ip(3)});
  AddMember("b", {Ip(2), Ip(3)});
  AddMember("c", {Ip(3), Ip(4)});
  QuorumJobParams p;
  p.threshold = 2;
  p.show_count = false;
  std::vector<absl::StatusOr<QuorumJobResult>> got = RunAll({p});
  const std::vector<std::vector<std::string>> want = {{Ip(2), Ip(3)}, {Ip(2), Ip(3)}, {Ip(3)}};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(got[i].ok()) << i << ": " << got[i].status();
    EXPECT_THAT(Values(i, *got[i]), ElementsAreArray(want[i])) << "member " << i;
    EXPECT_THAT(got[i]->holders, ::testing::Each(0u));
  }
}

TEST_F(QuorumJobTest, ThresholdBelowNWithMoreThanSixteenMembersIsRefusedBeforeAnyMessage) {
  for (int i = 0; i <= mpsi::kMaxQuorumParties; ++i) AddMember(StrCat("m", i), {Ip(1)});
  QuorumJobParams p;
  p.threshold = 3;
  std::vector<net::Channel*> channels(parties_.size(), nullptr);
  auto [a, b] = net::LocalPair();
  for (size_t j = 1; j < channels.size(); ++j) channels[j] = a.get();
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  absl::StatusOr<QuorumJobResult> got = RunQuorumJob(channels, 0, parties_, p, sets_[0], prng);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << got.status();
  EXPECT_THAT(got.status().message(), HasSubstr("at most 16 members"));
  EXPECT_EQ(a->bytes_sent(), 0u);
}

TEST_F(QuorumJobTest, MemberClosingMidRunStopsEveryMember) {
  for (int i = 0; i < 3; ++i) {
    std::vector<std::string> lines;
    for (int k = 0; k < 200; ++k) lines.push_back(Ip(k * (i + 1)));
    AddMember(StrCat("m", i), lines);
  }
  // Member 2 closes its link to member 1 at its fifth message (the
  // agreement takes two): inside the protocol.
  testing::NPartyOptions options;
  options.timeout = absl::Seconds(30);
  options.wrap = FaultOn(2, 1, {.kind = testing::Fault::kCloseBefore, .message_index = 4});
  std::vector<absl::StatusOr<QuorumJobResult>> got = RunAll({QuorumJobParams{}}, options);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(got[i].ok()) << i;
    EXPECT_NE(got[i].status().code(), absl::StatusCode::kDeadlineExceeded) << got[i].status();
  }
  EXPECT_EQ(got[2].status().code(), absl::StatusCode::kUnavailable) << got[2].status();
}

TEST_F(QuorumJobTest, GarbledTermsAreDataLossAndRefuseTheJobEverywhere) {
  for (const char* name : {"alpha", "bravo", "charlie"}) AddMember(name, {Ip(1)});
  // alpha's terms reach bravo garbled.
  testing::NPartyOptions options;
  options.wrap = FaultOn(0, 1, {.kind = testing::Fault::kFlipByte, .byte_index = 0});
  std::vector<absl::StatusOr<QuorumJobResult>> got = RunAll({QuorumJobParams{}}, options);
  EXPECT_EQ(got[1].status().code(), absl::StatusCode::kDataLoss) << got[1].status();
  EXPECT_THAT(got[1].status().message(), HasSubstr("the job terms from member alpha"));
  for (int i : {0, 2}) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].status().code(), absl::StatusCode::kFailedPrecondition) << got[i].status();
    EXPECT_THAT(got[i].status().message(), HasSubstr("member bravo refused the job"));
  }
}

TEST(QuorumItemsTest, EqualKeysGiveEqualItemsUnderOneDigestOnly) {
  const std::vector<std::string> keys = {"ipv4\x1f" "10.0.0.1", "domain\x1f" "example.org", ""};
  std::vector<crypto::Block> a = QuorumItems(keys, "sha256:1", 1);
  std::vector<crypto::Block> b = QuorumItems(keys, "sha256:1", 4);
  std::vector<crypto::Block> c = QuorumItems(keys, "sha256:2", 1);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a[0], c[0]);
  EXPECT_NE(a[0], a[1]);
  EXPECT_NE(a[1], a[2]);
}

// Over the real thing: three members, each with its own key, over the TLS
// mesh of session/mesh.h on loopback.
TEST(QuorumJobTlsTest, ThreeMembersOverThePinnedTlsMesh) {
  testing::MeshMembers members({"m0", "m1", "m2"});
  const testing::ScopedTempDir& tmp = members.dir();
  const std::vector<Party>& parties = members.parties();
  std::vector<RecordSet> sets;
  for (int i = 0; i < 3; ++i) {
    const std::string name = StrCat("m", i, "-input");
    std::string text;
    for (int k = 0; k < 500; ++k) text += Ip(k) + "\n";             // common
    for (int k = 0; k < 300; ++k) text += Ip(5000 * (i + 1) + k) + "\n";  // own
    testing::WriteFile(tmp.Sub(name + ".txt"), text);
    data::InputSpec spec;
    spec.path = tmp.Sub(name + ".txt");
    sets.push_back(*LoadRecordSet(spec, data::Profile::V1(), nullptr));
  }
  std::vector<absl::StatusOr<QuorumJobResult>> got(3, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      MeshOptions options;
      options.setup_timeout = absl::Seconds(30);
      absl::StatusOr<std::vector<std::unique_ptr<net::Channel>>> mesh =
          ConnectMesh(parties, i, members.identity(i), options);
      if (!mesh.ok()) {
        got[i] = mesh.status();
        return;
      }
      std::vector<net::Channel*> channels;
      for (const auto& c : *mesh) channels.push_back(c.get());
      crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + i);
      got[i] = RunQuorumJob(channels, i, parties, QuorumJobParams{}, sets[i], prng);
      for (net::Channel* c : channels) {
        if (c != nullptr) c->Close();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(got[i].ok()) << i << ": " << got[i].status();
    EXPECT_EQ(got[i]->num_qualifying, 500u);
    ASSERT_EQ(got[i]->rows.size(), 500u);
    for (size_t k = 0; k < 500; ++k) EXPECT_EQ(got[i]->rows[k], k);
    EXPECT_THAT(got[i]->set_sizes, ElementsAre(800u, 800u, 800u));
  }
}

}  // namespace
}  // namespace liaison::session
