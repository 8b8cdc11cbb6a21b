// End-to-end tests of `liaison quorum`: n real processes, each with its own
// identity and input file, over a mesh of pinned mutual TLS on loopback,
// all reading the same parties file.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <algorithm>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace liaison {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::Process;
using testing::ProcessResult;

std::string Ip(uint32_t v) {
  return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 255) + "." +
         std::to_string((v >> 8) & 255) + "." + std::to_string(v & 255);
}

// EstablishedTo counts the established TCP connections whose local port is
// `port` (the accepted ends of a listener), from /proc/net/tcp.
int EstablishedTo(uint16_t port) {
  std::ifstream f("/proc/net/tcp");
  std::string line;
  std::getline(f, line);  // header
  int count = 0;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string slot, local, remote, state;
    in >> slot >> local >> remote >> state;
    const size_t colon = local.find(':');
    if (colon == std::string::npos) continue;
    if (std::stoul(local.substr(colon + 1), nullptr, 16) == port && state == "01") ++count;
  }
  return count;
}

class QuorumE2eTest : public ::testing::Test {
 protected:
  // MakeMembers makes n identities and the parties file listing them, each
  // on a free loopback port.
  void MakeMembers(int n) {
    std::string parties = "# name address key\n";
    for (int i = 0; i < n; ++i) {
      Member m;
      m.name = "member" + std::to_string(i);
      ProcessResult r = testing::RunLiaison({"keygen", "--out", tmp_.Sub(m.name)}, tmp_.path());
      EXPECT_EQ(r.exit_code, 0) << r.err;
      const size_t pos = r.out.find("fingerprint: ");
      EXPECT_NE(pos, std::string::npos) << r.out;
      m.fingerprint = r.out.substr(pos + 13, r.out.find('\n', pos) - pos - 13);
      m.port = testing::FreePort();
      parties += m.name + " 127.0.0.1:" + std::to_string(m.port) + " " + m.fingerprint + "\n";
      members_.push_back(m);
    }
    testing::WriteFile(tmp_.Sub("parties.txt"), parties);
  }

  // Inputs gives every member a list drawn from a fixed seed: `num_common`
  // items everyone holds, and items held by a random subset (never all).
  // Member i's file is text (every third address defanged) for even i, CSV
  // with an "indicator" column for odd i; a few rows repeat an item. The
  // expected result file of every member at `threshold` (0: n) is computed
  // alongside: CSV for even members, JSON lines for odd ones.
  void Inputs(size_t num_common, size_t num_other, uint64_t seed, int threshold = 0) {
    SCOPED_TRACE(::testing::Message() << "seed=" << seed);
    const int n = static_cast<int>(members_.size());
    std::mt19937_64 rng(seed);
    std::set<uint32_t> used;
    auto fresh = [&] {
      for (;;) {
        const uint32_t v = static_cast<uint32_t>(rng()) | 0x01000000u;  // no 0.x.y.z
        if (used.insert(v).second) return v;
      }
    };
    const size_t t = threshold == 0 ? n : threshold;
    std::vector<std::vector<uint32_t>> lists(n);
    std::map<uint32_t, size_t> holders;
    for (size_t k = 0; k < num_common; ++k) {
      const uint32_t v = fresh();
      holders[v] = n;
      for (auto& l : lists) l.push_back(v);
    }
    for (size_t k = 0; k < num_other; ++k) {
      const uint32_t v = fresh();
      const int skip = static_cast<int>(rng() % n);  // someone lacks it
      for (int i = 0; i < n; ++i) {
        if (i != skip && rng() % 2 == 0) {
          lists[i].push_back(v);
          ++holders[v];
        }
      }
    }
    qualifying_ = 0;
    for (const auto& [v, c] : holders) qualifying_ += c >= t ? 1 : 0;
    for (int i = 0; i < n; ++i) {
      std::set<uint32_t> mine(lists[i].begin(), lists[i].end());
      members_[i].others = 0;
      for (const auto& [v, c] : holders) members_[i].others += c >= t && !mine.count(v) ? 1 : 0;
    }
    for (int i = 0; i < n; ++i) {
      std::vector<uint32_t>& l = lists[i];
      std::shuffle(l.begin(), l.end(), rng);
      for (size_t k = 0; k < 3 && k < l.size(); ++k) l.push_back(l[k]);  // duplicates
      Member& m = members_[i];
      const bool csv_in = i % 2 == 1;
      std::string text = csv_in ? "indicator,note\n" : "";
      uint64_t line = csv_in ? 1 : 0;
      m.expected = i % 2 == 0 ? "value,type,raw,line,holders\n" : "";
      for (size_t k = 0; k < l.size(); ++k) {
        std::string raw = Ip(l[k]);
        if (!csv_in && k % 3 == 0) raw.replace(raw.find('.'), 1, "[.]");
        text += raw + (csv_in ? ",x\n" : "\n");
        ++line;
        if (holders[l[k]] < t) continue;
        const std::string h = std::to_string(holders[l[k]]);
        m.expected += i % 2 == 0 ? Ip(l[k]) + ",ipv4," + raw + "," + std::to_string(line) + "," +
                                       h + "\n"
                                 : "{\"value\":\"" + Ip(l[k]) + "\",\"type\":\"ipv4\",\"raw\":\"" +
                                       raw + "\",\"line\":" + std::to_string(line) +
                                       ",\"holders\":" + h + "}\n";
      }
      m.input = tmp_.Sub(m.name + (csv_in ? ".csv" : ".txt"));
      m.output = tmp_.Sub(m.name + (i % 2 == 0 ? "-out.csv" : "-out.jsonl"));
      testing::WriteFile(m.input, text);
    }
  }

  std::vector<std::string> Args(int i, const std::vector<std::string>& extra = {}) const {
    const Member& m = members_[i];
    std::vector<std::string> a = {testing::kLiaisonBinary, "quorum",  "--parties",
                                  tmp_.Sub("parties.txt"), "--me",    m.name,
                                  "--identity",            tmp_.Sub(m.name), "--input",
                                  m.input,                 "--output", m.output,
                                  "--timeout",             "60"};
    if (i % 2 == 1) a.insert(a.end(), {"--column", "indicator"});
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  // RunAll starts every member, the last first (the leader, which only
  // listens, comes last), with extras[i] added to member i's flags.
  std::vector<ProcessResult> RunAll(std::vector<std::vector<std::string>> extras = {}) {
    const int n = static_cast<int>(members_.size());
    extras.resize(n);
    std::vector<std::unique_ptr<Process>> procs(n);
    for (int i = n - 1; i >= 0; --i) {
      procs[i] = std::make_unique<Process>(Args(i, extras[i]), tmp_.path());
    }
    std::vector<ProcessResult> out;
    for (auto& p : procs) out.push_back(p->Wait());
    return out;
  }

  // ExpectEveryResultExact checks that every member succeeded, wrote
  // exactly its expected result file and said `summary` in its summary line.
  void ExpectEveryResultExact(const std::vector<ProcessResult>& got, const std::string& summary) {
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].exit_code, 0) << members_[i].name << ": " << got[i].err;
      EXPECT_EQ(testing::ReadFileOrEmpty(members_[i].output), members_[i].expected)
          << members_[i].name;
      EXPECT_THAT(got[i].out, HasSubstr(StrCat("; ", got.size() - 1, " peers (")));
      EXPECT_THAT(got[i].out, HasSubstr(summary));
    }
  }

  struct Member {
    std::string name;
    std::string fingerprint;
    uint16_t port = 0;
    std::string input;
    std::string output;
    std::string expected;
    size_t others = 0;  // qualifying items the member does not hold
  };
  testing::ScopedTempDir tmp_;
  std::vector<Member> members_;
  size_t qualifying_ = 0;  // distinct items held by at least t members
};

TEST_F(QuorumE2eTest, ThreeMembersEachGetExactlyTheirRecordsHeldByAll) {
  MakeMembers(3);
  Inputs(/*num_common=*/40, /*num_other=*/300, /*seed=*/20261207);
  ExpectEveryResultExact(RunAll(), "40 distinct held by at least 3 of 3");
}

TEST_F(QuorumE2eTest, FiveMembersEachGetExactlyTheirRecordsHeldByAll) {
  MakeMembers(5);
  Inputs(/*num_common=*/25, /*num_other=*/400, /*seed=*/20261208);
  ExpectEveryResultExact(RunAll(std::vector<std::vector<std::string>>(
                             5, std::vector<std::string>{"--threshold", "5"})),
                         "; 25 distinct held by at least 5 of 5");
}

TEST_F(QuorumE2eTest, MemberKilledMidRunFailsTheOthersWithNoOutput) {
  MakeMembers(3);
  Inputs(/*num_common=*/1000, /*num_other=*/600000, /*seed=*/20261209);
  std::vector<std::unique_ptr<Process>> procs;
  for (int i = 0; i < 3; ++i) procs.push_back(std::make_unique<Process>(Args(i), tmp_.path()));
  // Once the mesh stands (two connections into member0, one into member1),
  // the protocol is under way: kill member2 then.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (EstablishedTo(members_[0].port) < 2 || EstablishedTo(members_[1].port) < 1) {
    ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "the mesh never formed";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  procs[2]->Kill();
  procs[2]->Wait();
  // The first to notice names member2; a member may instead see the one
  // that noticed hang up on it (every member closes all its channels when
  // it stops), so at least one of the two names member2.
  int named_member2 = 0;
  for (int i = 0; i < 2; ++i) {
    std::optional<ProcessResult> r = procs[i]->WaitFor(90 * 1000);
    ASSERT_TRUE(r.has_value()) << members_[i].name << " did not stop";
    EXPECT_EQ(r->exit_code, 6) << r->err;  // Unavailable: a peer is gone
    EXPECT_THAT(r->err, HasSubstr("liaison quorum: error: member member"));
    named_member2 += r->err.find("member member2 (") != std::string::npos;
    EXPECT_FALSE(fs::exists(members_[i].output)) << members_[i].name;
  }
  EXPECT_GE(named_member2, 1);
}

TEST_F(QuorumE2eTest, MismatchedThresholdFailsOnAllSayingWhatDiffers) {
  MakeMembers(3);
  Inputs(10, 20, 20261210);
  std::vector<ProcessResult> got = RunAll({{}, {}, {"--threshold", "2"}});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].exit_code, 5) << got[i].err;  // FailedPrecondition
    EXPECT_THAT(got[i].err, HasSubstr("the threshold differs"));
    EXPECT_FALSE(fs::exists(members_[i].output));
  }
  EXPECT_THAT(got[0].err, HasSubstr("member0 asks for t = 3, member2 for t = 2"));
}

TEST_F(QuorumE2eTest, FiveMembersAtThresholdThreeGetTheirRecordsHeldByThreeOrMore) {
  MakeMembers(5);
  Inputs(/*num_common=*/15, /*num_other=*/300, /*seed=*/20261211, /*threshold=*/3);
  ExpectEveryResultExact(RunAll(std::vector<std::vector<std::string>>(
                             5, std::vector<std::string>{"--threshold", "3"})),
                         " held by at least 3 of 5");
}

// --count-only: every member writes the same exact count as JSON, and no
// item; with --epsilon, a noised count with its interval.
TEST_F(QuorumE2eTest, ThreeMembersCountOnlyWriteTheNumberOfQualifyingItemsAsJson) {
  MakeMembers(3);
  Inputs(/*num_common=*/20, /*num_other=*/300, /*seed=*/20261213, /*threshold=*/2);
  for (auto& m : members_) m.output = tmp_.Sub(m.name + "-count.json");
  std::vector<ProcessResult> got = RunAll(std::vector<std::vector<std::string>>(
      3, std::vector<std::string>{"--threshold", "2", "--count-only"}));
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(got[i].exit_code, 0) << members_[i].name << ": " << got[i].err;
    const nlohmann::json j = nlohmann::json::parse(testing::ReadFileOrEmpty(members_[i].output));
    EXPECT_EQ(j["mode"], "quorum-count");
    EXPECT_EQ(j["count"], qualifying_);
    EXPECT_EQ(j["threshold"], 2);
    EXPECT_EQ(j["members"], 3);
    EXPECT_EQ(j["noised"], false);
    EXPECT_THAT(got[i].out,
                HasSubstr(StrCat("; ", qualifying_, " distinct items held by at least 2 of 3")));
  }

  std::vector<ProcessResult> noised = RunAll(std::vector<std::vector<std::string>>(
      3, std::vector<std::string>{"--threshold", "2", "--count-only", "--epsilon", "0.5"}));
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(noised[i].exit_code, 0) << members_[i].name << ": " << noised[i].err;
    const nlohmann::json j = nlohmann::json::parse(testing::ReadFileOrEmpty(members_[i].output));
    EXPECT_EQ(j["noised"], true);
    EXPECT_EQ(j["noises"], 2);
    EXPECT_EQ(j["mechanism"], "discrete_laplace");
    EXPECT_EQ(j["ci95_method"], "exact");
    EXPECT_LE(j["ci95"][0].get<int64_t>(), j["count"].get<int64_t>());
    EXPECT_THAT(noised[i].out, HasSubstr("noised count of "));
  }
}

TEST_F(QuorumE2eTest, MismatchedEpsilonOrOutputFailsOnAllSayingWhatDiffers) {
  MakeMembers(3);
  Inputs(10, 20, 20261214, 2);
  std::vector<ProcessResult> got =
      RunAll({{"--threshold", "2", "--count-only", "--epsilon", "1"},
              {"--threshold", "2", "--count-only", "--epsilon", "1"},
              {"--threshold", "2", "--count-only", "--epsilon", "0.5"}});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].exit_code, 5) << got[i].err;  // FailedPrecondition
    EXPECT_THAT(got[i].err, HasSubstr("the DP noise differs"));
  }
  EXPECT_THAT(got[0].err, HasSubstr("member0 asks for discrete_laplace with epsilon = 1, member2 "
                                    "for discrete_laplace with epsilon = 1/2"));
  ProcessResult items_with_dp = testing::Run(Args(0, {"--epsilon", "1"}), tmp_.path());
  EXPECT_EQ(items_with_dp.exit_code, 2);
  EXPECT_THAT(items_with_dp.err, HasSubstr("--epsilon and --delta are for --count-only"));
}

// --reveal all (traceable): each member also writes the qualifying items
// it does not hold, as hex items with their holder counts.
TEST_F(QuorumE2eTest, RevealAllWritesTheOtherQualifyingItems) {
  MakeMembers(3);
  Inputs(/*num_common=*/10, /*num_other=*/200, /*seed=*/20261215, /*threshold=*/2);
  std::vector<std::vector<std::string>> extras;
  for (int i = 0; i < 3; ++i) {
    extras.push_back({"--threshold", "2", "--reveal", "all", "--others",
                      tmp_.Sub(members_[i].name + "-others.csv")});
  }
  ExpectEveryResultExact(RunAll(extras), " held by at least 2 of 3");
  for (int i = 0; i < 3; ++i) {
    const std::string text = testing::ReadFileOrEmpty(tmp_.Sub(members_[i].name + "-others.csv"));
    EXPECT_EQ(text.substr(0, 13), "item,holders\n");
    EXPECT_EQ(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')),
              members_[i].others + 1)
        << members_[i].name;
    EXPECT_GT(members_[i].others, 0u);
  }
}

TEST_F(QuorumE2eTest, BadPartiesFileOrNameFailsBeforeTheNetwork) {
  MakeMembers(2);
  Inputs(1, 2, 20261212);
  std::ofstream(tmp_.Sub("parties.txt"), std::ios::app) << "member9 127.0.0.1:1 sha256:12\n";
  ProcessResult bad = testing::Run(Args(0), tmp_.path());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("parties.txt line 4: bad fingerprint 'sha256:12' of member9"));

  std::string good;  // the file again, without the bad line
  for (const auto& m : members_) {
    good += m.name + " 127.0.0.1:" + std::to_string(m.port) + " " + m.fingerprint + "\n";
  }
  testing::WriteFile(tmp_.Sub("parties.txt"), good);
  std::vector<std::string> args = Args(0);
  args[5] = "nobody";  // --me
  ProcessResult stranger = testing::Run(args, tmp_.path());
  EXPECT_EQ(stranger.exit_code, 2);
  EXPECT_THAT(stranger.err, HasSubstr("'nobody' is not a member of the parties file"));
  args = Args(0);
  args[7] = tmp_.Sub(members_[1].name);  // --identity: another member's key
  ProcessResult wrong_key = testing::Run(args, tmp_.path());
  EXPECT_EQ(wrong_key.exit_code, 2);
  EXPECT_THAT(wrong_key.err, HasSubstr("but our identity's key is " + members_[1].fingerprint));
}

}  // namespace
}  // namespace liaison
