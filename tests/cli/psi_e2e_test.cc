// End-to-end tests of `liaison psi`: two real processes, each with its own
// identity and input file, over mutually authenticated TLS on loopback.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/version.h"
#include "crypto/hash.h"
#include "data/profile.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "net/identity.h"
#include "net/tls_channel.h"
#include "session/handshake.h"
#include "testing/subprocess.h"

namespace liaison {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::Process;
using testing::ProcessResult;

const std::string kBinary = std::string(LIAISON_BINARY_DIR) + "/src/cli/liaison";

using testing::FreePort;
using testing::WriteFile;

std::string ReadFile(const std::string& path) { return testing::ReadFileOrEmpty(path); }

// Values of the `value` column of a result CSV written by liaison.
std::multiset<std::string> CsvValues(const std::string& path) {
  std::multiset<std::string> out;
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);  // header
  while (std::getline(f, line)) {
    std::string v = line.substr(0, line.find(','));
    if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
    out.insert(v);
  }
  return out;
}

// HonestOffer is what a real liaison peer offers for a match of `n` items.
session::Offer HonestOffer(uint64_t n) {
  session::Offer offer;
  offer.protocol = "ecdh-psi";
  offer.protocol_version = 1;
  offer.mode = "match";
  offer.profile_name = std::string(data::Profile::V1().name());
  offer.profile_version = static_cast<uint32_t>(data::Profile::V1().version());
  offer.profile_digest = data::Profile::V1().digest();
  offer.set_size = n;
  offer.software_version = std::string(kVersion);
  return offer;
}

class PsiE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/liaison-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    alpha_fp_ = Keygen("alpha");
    bravo_fp_ = Keygen("bravo");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Keygen(const std::string& name) {
    ProcessResult r = testing::Run({kBinary, "keygen", "--out", dir_ + "/" + name}, dir_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto pos = r.out.find("fingerprint: ");
    EXPECT_NE(pos, std::string::npos) << r.out;
    std::string fp = r.out.substr(pos + 13);
    return fp.substr(0, fp.find('\n'));
  }

  std::vector<std::string> PsiArgs(const std::string& me, const std::string& peer_fp,
                                   const std::string& endpoint_flag, const std::string& endpoint,
                                   const std::string& input,
                                   std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {kBinary,     "psi",  endpoint_flag,        endpoint,
                                  "--identity", dir_ + "/" + me, "--peer", peer_fp,
                                  "--input",    input,  "--timeout",   "20", "--quiet"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  struct Pair {
    ProcessResult alpha;
    ProcessResult bravo;
  };
  // RunPair starts bravo listening and alpha connecting, at the same time.
  Pair RunPair(const std::string& alpha_input, std::vector<std::string> alpha_extra,
               const std::string& bravo_input, std::vector<std::string> bravo_extra,
               std::string alpha_peer_fp = "", std::string bravo_peer_fp = "") {
    std::string endpoint = "127.0.0.1:" + std::to_string(FreePort());
    if (alpha_peer_fp.empty()) alpha_peer_fp = bravo_fp_;
    if (bravo_peer_fp.empty()) bravo_peer_fp = alpha_fp_;
    Process bravo(PsiArgs("bravo", bravo_peer_fp, "--listen", endpoint, bravo_input, bravo_extra),
                  dir_);
    Process alpha(PsiArgs("alpha", alpha_peer_fp, "--connect", endpoint, alpha_input, alpha_extra),
                  dir_);
    Pair p;
    p.alpha = alpha.Wait();
    p.bravo = bravo.Wait();
    return p;
  }

  // FakeBravo listens with bravo's identity, for tests that play a hostile
  // peer in this process.
  class FakeBravo {
   public:
    explicit FakeBravo(PsiE2eTest& t) : identity_(net::Identity::Load(t.dir_ + "/bravo")) {
      if (!identity_.ok()) return;
      net::TlsOptions tls;
      tls.identity = &*identity_;
      tls.peer_fingerprint = t.alpha_fp_;
      auto l = net::TlsListener::Listen("127.0.0.1", 0, tls);
      if (l.ok()) listener_ = *std::move(l);
    }
    bool ok() const { return listener_ != nullptr; }
    std::string endpoint() const { return "127.0.0.1:" + std::to_string(listener_->port()); }
    absl::StatusOr<std::unique_ptr<net::Channel>> Accept() {
      return listener_->Accept(absl::Seconds(20));
    }

   private:
    absl::StatusOr<net::Identity> identity_;
    std::unique_ptr<net::TlsListener> listener_;
  };

  std::string dir_;
  std::string alpha_fp_;
  std::string bravo_fp_;
};

TEST_F(PsiE2eTest, KeygenWritesPrivateKeyWithMode0600AndFingerprintMatches) {
  struct stat st;
  ASSERT_EQ(stat((dir_ + "/alpha/node.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ProcessResult r = testing::Run({kBinary, "fingerprint", dir_ + "/alpha/node.crt"}, dir_);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, alpha_fp_ + "\n");
  EXPECT_NE(alpha_fp_, bravo_fp_);
}

TEST_F(PsiE2eTest, HundredThousandItemsGiveExactlyTheTrueIntersection) {
  // Two lists of 100k IPv4 addresses in different formats and spellings with
  // a known overlap; the seed is fixed and logged.
  constexpr uint64_t kSeed = 20261120;
  SCOPED_TRACE(::testing::Message() << "seed=" << kSeed);
  std::mt19937_64 rng(kSeed);
  std::set<uint32_t> a_set, b_set;
  while (a_set.size() < 100000) a_set.insert(static_cast<uint32_t>(rng()));
  std::vector<uint32_t> a_vec(a_set.begin(), a_set.end());
  std::shuffle(a_vec.begin(), a_vec.end(), rng);
  for (size_t i = 0; i < 30000; ++i) b_set.insert(a_vec[i]);  // the overlap
  while (b_set.size() < 100000) b_set.insert(static_cast<uint32_t>(rng()));
  auto ip = [](uint32_t v) {
    return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 255) + "." +
           std::to_string((v >> 8) & 255) + "." + std::to_string(v & 255);
  };
  std::string a_text = "indicator,note\n", b_text = "# bravo's list\n";
  for (uint32_t v : a_vec) a_text += ip(v) + ",x\n";
  for (uint32_t v : b_set) {
    std::string s = ip(v);
    if (v % 3 == 0) s.replace(s.find('.'), 1, "[.]");  // defanged
    b_text += s + "\n";
  }
  WriteFile(dir_ + "/a.csv", a_text);
  WriteFile(dir_ + "/b.txt", b_text);
  std::multiset<std::string> expected;
  for (uint32_t v : a_set) {
    if (b_set.count(v)) expected.insert(ip(v));
  }
  ASSERT_EQ(expected.size(), 30000u);

  Pair p = RunPair(dir_ + "/a.csv", {"--column", "indicator", "--output", dir_ + "/a-out.csv"},
                   dir_ + "/b.txt", {"--output", dir_ + "/b-out.csv"});
  ASSERT_EQ(p.alpha.exit_code, 0) << p.alpha.err;
  ASSERT_EQ(p.bravo.exit_code, 0) << p.bravo.err;
  EXPECT_EQ(CsvValues(dir_ + "/a-out.csv"), expected);
  EXPECT_EQ(CsvValues(dir_ + "/b-out.csv"), expected);
}

TEST_F(PsiE2eTest, DuplicatesAreMatchedOnceAndEveryRowIsReported) {
  WriteFile(dir_ + "/a.txt", "evil.example\nEVIL.example.\n203.0.113.9\nonly-a.example\n");
  WriteFile(dir_ + "/b.txt", "evil[.]example\n203.0.113[.]9\n203.0.113.9\nonly-b.example\n");
  Pair p = RunPair(dir_ + "/a.txt", {"--output", dir_ + "/a.jsonl", "--summary-json", dir_ + "/a.json"},
                   dir_ + "/b.txt", {"--output", dir_ + "/b.csv"});
  ASSERT_EQ(p.alpha.exit_code, 0) << p.alpha.err;
  ASSERT_EQ(p.bravo.exit_code, 0) << p.bravo.err;
  std::string a = ReadFile(dir_ + "/a.jsonl");
  EXPECT_THAT(a, HasSubstr("\"raw\":\"EVIL.example.\""));
  EXPECT_THAT(a, HasSubstr("\"line\":2"));
  EXPECT_EQ(std::count(a.begin(), a.end(), '\n'), 3);  // 3 rows, 2 distinct
  EXPECT_EQ(CsvValues(dir_ + "/b.csv"),
            (std::multiset<std::string>{"evil.example", "203.0.113.9", "203.0.113.9"}));
  std::string summary = ReadFile(dir_ + "/a.json");
  EXPECT_THAT(summary, HasSubstr("\"intersection_size\": 2"));
  EXPECT_THAT(summary, HasSubstr("\"matched_rows\": 3"));
}

TEST_F(PsiE2eTest, CountModeRevealsOnlyTheSize) {
  WriteFile(dir_ + "/a.txt", "a.example\nb.example\nc.example\n");
  WriteFile(dir_ + "/b.txt", "b.example\nc.example\nd.example\n");
  Pair p = RunPair(dir_ + "/a.txt", {"--mode", "count", "--output", dir_ + "/a.json"},
                   dir_ + "/b.txt", {"--mode", "count", "--output", dir_ + "/b.json"});
  ASSERT_EQ(p.alpha.exit_code, 0) << p.alpha.err;
  ASSERT_EQ(p.bravo.exit_code, 0) << p.bravo.err;
  std::string a = ReadFile(dir_ + "/a.json");
  EXPECT_THAT(a, HasSubstr("\"intersection_size\": 2"));
  EXPECT_THAT(a, ::testing::Not(HasSubstr("b.example")));
}

TEST_F(PsiE2eTest, ResultToOneSide) {
  WriteFile(dir_ + "/a.txt", "a.example\nb.example\n");
  WriteFile(dir_ + "/b.txt", "b.example\n");
  Pair p = RunPair(dir_ + "/a.txt", {"--result-to", "me", "--output", dir_ + "/a.csv"},
                   dir_ + "/b.txt", {"--result-to", "peer", "--summary-json", dir_ + "/b.json"});
  ASSERT_EQ(p.alpha.exit_code, 0) << p.alpha.err;
  ASSERT_EQ(p.bravo.exit_code, 0) << p.bravo.err;
  EXPECT_EQ(CsvValues(dir_ + "/a.csv"), (std::multiset<std::string>{"b.example"}));
  std::string b = ReadFile(dir_ + "/b.json");
  EXPECT_THAT(b, HasSubstr("\"received\": false"));
  EXPECT_THAT(b, HasSubstr("\"intersection_size\": 0"));
}

TEST_F(PsiE2eTest, WrongPeerFingerprintIsRefusedBeforeAnyData) {
  WriteFile(dir_ + "/a.txt", "a.example\n");
  WriteFile(dir_ + "/b.txt", "a.example\n");
  std::string stranger = Keygen("stranger");
  Pair p = RunPair(dir_ + "/a.txt", {"--output", dir_ + "/a.csv", "--timeout", "4"},
                   dir_ + "/b.txt", {"--output", dir_ + "/b.csv", "--timeout", "4"},
                   /*alpha_peer_fp=*/stranger);
  EXPECT_EQ(p.alpha.exit_code, 4) << p.alpha.err;
  EXPECT_THAT(p.alpha.err, HasSubstr(stranger.substr(0, 20)));
  EXPECT_NE(p.bravo.exit_code, 0) << p.bravo.err;
  EXPECT_FALSE(fs::exists(dir_ + "/a.csv"));
  EXPECT_FALSE(fs::exists(dir_ + "/b.csv"));
}

TEST_F(PsiE2eTest, ModeMismatchStopsBothSidesSayingWhatDiffered) {
  WriteFile(dir_ + "/a.txt", "a.example\n");
  WriteFile(dir_ + "/b.txt", "a.example\n");
  Pair p = RunPair(dir_ + "/a.txt", {"--mode", "count", "--protocol", "ecdh"}, dir_ + "/b.txt",
                   {"--output", dir_ + "/b.csv", "--protocol", "ecdh"});
  EXPECT_EQ(p.alpha.exit_code, 5) << p.alpha.err;
  EXPECT_EQ(p.bravo.exit_code, 5) << p.bravo.err;
  EXPECT_THAT(p.alpha.err, HasSubstr("mode differs"));
  EXPECT_THAT(p.bravo.err, HasSubstr("mode differs"));
  EXPECT_FALSE(fs::exists(dir_ + "/b.csv"));
}

TEST_F(PsiE2eTest, ProtocolMismatchStopsBothSidesSayingWhatDiffered) {
  WriteFile(dir_ + "/a.txt", "a.example\n");
  WriteFile(dir_ + "/b.txt", "a.example\n");
  Pair p = RunPair(dir_ + "/a.txt", {"--protocol", "ecdh"}, dir_ + "/b.txt", {});
  EXPECT_EQ(p.alpha.exit_code, 5) << p.alpha.err;
  EXPECT_EQ(p.bravo.exit_code, 5) << p.bravo.err;
  EXPECT_THAT(p.alpha.err, HasSubstr("protocol differs: we run ecdh-psi, the peer runs rr22-psi"));
  EXPECT_THAT(p.bravo.err, HasSubstr("protocol differs: we run rr22-psi, the peer runs ecdh-psi"));
}

TEST_F(PsiE2eTest, MaliciousSecurityGivesTheSameMatches) {
  WriteFile(dir_ + "/a.txt", "evil.example\n203.0.113.9\nonly-a.example\n");
  WriteFile(dir_ + "/b.txt", "evil[.]example\n203.0.113[.]9\nonly-b.example\n");
  Pair p = RunPair(dir_ + "/a.txt", {"--security", "malicious", "--output", dir_ + "/a.csv"},
                   dir_ + "/b.txt", {"--security", "malicious", "--output", dir_ + "/b.csv"});
  ASSERT_EQ(p.alpha.exit_code, 0) << p.alpha.err;
  ASSERT_EQ(p.bravo.exit_code, 0) << p.bravo.err;
  EXPECT_EQ(CsvValues(dir_ + "/a.csv"),
            (std::multiset<std::string>{"evil.example", "203.0.113.9"}));
  EXPECT_EQ(CsvValues(dir_ + "/b.csv"),
            (std::multiset<std::string>{"evil.example", "203.0.113.9"}));
}

TEST_F(PsiE2eTest, SecurityMismatchStopsBothSidesSayingWhatDiffered) {
  WriteFile(dir_ + "/a.txt", "a.example\n");
  WriteFile(dir_ + "/b.txt", "a.example\n");
  Pair p = RunPair(dir_ + "/a.txt", {"--security", "malicious"}, dir_ + "/b.txt", {});
  EXPECT_EQ(p.alpha.exit_code, 5) << p.alpha.err;
  EXPECT_EQ(p.bravo.exit_code, 5) << p.bravo.err;
  EXPECT_THAT(p.alpha.err, HasSubstr("security model differs: we asked for malicious"));
}

TEST_F(PsiE2eTest, EcdhProtocolGivesTheSameMatches) {
  WriteFile(dir_ + "/a.txt", "evil.example\n203.0.113.9\nonly-a.example\n");
  WriteFile(dir_ + "/b.txt", "evil[.]example\n203.0.113[.]9\nonly-b.example\n");
  Pair p = RunPair(dir_ + "/a.txt", {"--protocol", "ecdh", "--output", dir_ + "/a.csv"},
                   dir_ + "/b.txt", {"--protocol", "ecdh", "--output", dir_ + "/b.csv"});
  ASSERT_EQ(p.alpha.exit_code, 0) << p.alpha.err;
  ASSERT_EQ(p.bravo.exit_code, 0) << p.bravo.err;
  EXPECT_EQ(CsvValues(dir_ + "/a.csv"),
            (std::multiset<std::string>{"evil.example", "203.0.113.9"}));
  EXPECT_EQ(CsvValues(dir_ + "/b.csv"), CsvValues(dir_ + "/a.csv"));
}

TEST_F(PsiE2eTest, CountModeRunsRr22ByDefaultAndEcdhOnRequest) {
  WriteFile(dir_ + "/a.txt", "a.example\nb.example\nc.example\nd.example\n");
  WriteFile(dir_ + "/b.txt", "b.example\nc.example\nd[.]example\ne.example\n");
  for (const char* protocol : {"", "ecdh", "rr22"}) {
    SCOPED_TRACE(protocol);
    std::vector<std::string> a_args = {"--mode", "count", "--result-to", "me", "--output",
                                       dir_ + "/a.json", "--summary-json", dir_ + "/as.json"};
    std::vector<std::string> b_args = {"--mode", "count", "--result-to", "peer",
                                       "--summary-json", dir_ + "/bs.json"};
    if (*protocol != '\0') {
      for (auto* v : {&a_args, &b_args}) {
        v->push_back("--protocol");
        v->push_back(protocol);
      }
    }
    Pair p = RunPair(dir_ + "/a.txt", a_args, dir_ + "/b.txt", b_args);
    ASSERT_EQ(p.alpha.exit_code, 0) << p.alpha.err;
    ASSERT_EQ(p.bravo.exit_code, 0) << p.bravo.err;
    const std::string a = ReadFile(dir_ + "/a.json");
    EXPECT_THAT(a, HasSubstr("\"intersection_size\": 3"));
    EXPECT_THAT(a, ::testing::Not(HasSubstr("example")));
    EXPECT_THAT(ReadFile(dir_ + "/as.json"),
                HasSubstr(*protocol == 'e' ? "ecdh-psi" : "rr22-psi"));
    const std::string b = ReadFile(dir_ + "/bs.json");
    EXPECT_THAT(b, HasSubstr("\"received\": false"));
    EXPECT_THAT(b, ::testing::Not(HasSubstr("\"intersection_size\": 3")));
  }
}

TEST_F(PsiE2eTest, RecipientMismatchIsRefused) {
  WriteFile(dir_ + "/a.txt", "a.example\n");
  WriteFile(dir_ + "/b.txt", "a.example\n");
  Pair p = RunPair(dir_ + "/a.txt", {"--result-to", "me"}, dir_ + "/b.txt", {"--result-to", "me"});
  EXPECT_EQ(p.alpha.exit_code, 5) << p.alpha.err;
  EXPECT_EQ(p.bravo.exit_code, 5) << p.bravo.err;
  EXPECT_THAT(p.alpha.err, HasSubstr("result recipients differ"));
}

TEST_F(PsiE2eTest, FileWithNoValidRecordIsAnErrorListingRejects) {
  WriteFile(dir_ + "/a.txt", "# nothing valid\n999.1.1.1\nnot an indicator\n");
  ProcessResult r = testing::Run(
      PsiArgs("alpha", bravo_fp_, "--connect", "127.0.0.1:1", dir_ + "/a.txt", {}), dir_);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no valid record"));
  // --quiet hides the list; run normalize to see every reject with its line.
  ProcessResult n = testing::Run({kBinary, "normalize", "--input", dir_ + "/a.txt"}, dir_);
  EXPECT_EQ(n.exit_code, 2);
  EXPECT_THAT(n.out, HasSubstr("line 2"));
  EXPECT_THAT(n.out, HasSubstr("line 3"));
}

TEST_F(PsiE2eTest, UnreadableInputIsAnError) {
  ProcessResult r = testing::Run(
      PsiArgs("alpha", bravo_fp_, "--connect", "127.0.0.1:1", dir_ + "/missing.txt", {}), dir_);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("missing.txt"));
}

// A hostile peer that completes TLS and the session handshake properly and
// then sends garbage: the liaison process must stop with DataLoss and leave
// no output file.
TEST_F(PsiE2eTest, GarbledProtocolMessageFailsWithDataLossAndNoOutput) {
  WriteFile(dir_ + "/a.txt", "a.example\nb.example\n");
  FakeBravo bravo(*this);
  ASSERT_TRUE(bravo.ok());
  Process alpha(PsiArgs("alpha", bravo_fp_, "--connect", bravo.endpoint(), dir_ + "/a.txt",
                        {"--output", dir_ + "/a.csv", "--protocol", "ecdh"}),
                dir_);
  auto ch = bravo.Accept();
  ASSERT_TRUE(ch.ok()) << ch.status();
  session::Offer offer = HonestOffer(2);
  auto agreed = session::Handshake(**ch, offer);
  ASSERT_TRUE(agreed.ok()) << agreed.status();
  ASSERT_TRUE((*ch)->Send(Bytes{0xde, 0xad}).ok());  // not an ecdh-psi header
  ProcessResult r = alpha.Wait();
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_THAT(r.err, HasSubstr("ecdh-psi"));
  EXPECT_FALSE(fs::exists(dir_ + "/a.csv"));
}

TEST_F(PsiE2eTest, PeerDisconnectingMidProtocolIsUnavailableAndNoOutput) {
  WriteFile(dir_ + "/a.txt", "a.example\nb.example\n");
  FakeBravo bravo(*this);
  ASSERT_TRUE(bravo.ok());
  Process alpha(PsiArgs("alpha", bravo_fp_, "--connect", bravo.endpoint(), dir_ + "/a.txt",
                        {"--output", dir_ + "/a.csv", "--protocol", "ecdh"}),
                dir_);
  auto ch = bravo.Accept();
  ASSERT_TRUE(ch.ok()) << ch.status();
  session::Offer offer = HonestOffer(2);
  ASSERT_TRUE(session::Handshake(**ch, offer).ok());
  (*ch)->Close();
  ProcessResult r = alpha.Wait();
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_FALSE(fs::exists(dir_ + "/a.csv"));
}

// BinaryBuild is the build digest of the liaison binary under test, as
// `liaison version` prints it.
std::string BinaryBuild() {
  std::string file = testing::ReadFileOrEmpty(kBinary);
  return "sha256:" + ToHex(crypto::Sha256(AsBytes(file)));
}

TEST_F(PsiE2eTest, RequiredBuildRunsAndTheSummaryNamesThePeersBuild) {
  WriteFile(dir_ + "/a.txt", "a.example\nb.example\n");
  WriteFile(dir_ + "/b.txt", "b.example\n");
  const std::string build = BinaryBuild();
  const std::string other = "sha256:" + std::string(64, 'e');
  // Not --quiet: the summary line is what a person reads.
  auto loud = [](std::vector<std::string> args) {
    args.erase(std::find(args.begin(), args.end(), "--quiet"));
    return args;
  };
  std::string endpoint = "127.0.0.1:" + std::to_string(FreePort());
  Process bravo(loud(PsiArgs("bravo", alpha_fp_, "--listen", endpoint, dir_ + "/b.txt",
                             {"--require-build", other, "--require-build", build,
                              "--output", dir_ + "/b.csv"})),
                dir_);
  Process alpha(loud(PsiArgs("alpha", bravo_fp_, "--connect", endpoint, dir_ + "/a.txt",
                             {"--require-build", build, "--summary-json", dir_ + "/a.json",
                              "--output", dir_ + "/a.csv"})),
                dir_);
  ProcessResult a = alpha.Wait(), b = bravo.Wait();
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_THAT(a.out, HasSubstr("; peer build " + build + "\n"));
  EXPECT_THAT(b.out, HasSubstr("; peer build " + build + "\n"));
  nlohmann::json j = nlohmann::json::parse(ReadFile(dir_ + "/a.json"));
  EXPECT_EQ(j["peer_build"], build);
  EXPECT_EQ(j["build"], build);
}

// A peer that announces another build than the one required: alpha stops
// with exit code 4 naming that build, before any protocol data, and writes
// nothing.
TEST_F(PsiE2eTest, PeerAnnouncingAnotherBuildIsRefusedBeforeAnyProtocolData) {
  WriteFile(dir_ + "/a.txt", "a.example\nb.example\n");
  FakeBravo bravo(*this);
  ASSERT_TRUE(bravo.ok());
  Process alpha(PsiArgs("alpha", bravo_fp_, "--connect", bravo.endpoint(), dir_ + "/a.txt",
                        {"--output", dir_ + "/a.csv", "--protocol", "ecdh", "--require-build",
                         BinaryBuild()}),
                dir_);
  auto ch = bravo.Accept();
  ASSERT_TRUE(ch.ok()) << ch.status();
  session::Offer offer = HonestOffer(2);
  offer.build = "sha256:" + std::string(64, 'e');
  auto agreed = session::Handshake(**ch, offer);
  EXPECT_EQ(agreed.status().code(), absl::StatusCode::kPermissionDenied) << agreed.status();
  EXPECT_THAT(agreed.status().message(), HasSubstr("our build " + offer.build));
  // The handshake was alpha's last word: the connection closes, with no
  // protocol message after it.
  EXPECT_EQ((*ch)->Recv().status().code(), absl::StatusCode::kUnavailable);
  ProcessResult r = alpha.Wait();
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_THAT(r.err, HasSubstr("the peer runs build " + offer.build));
  EXPECT_FALSE(fs::exists(dir_ + "/a.csv"));
}

TEST_F(PsiE2eTest, MalformedRequiredBuildIsAUsageError) {
  WriteFile(dir_ + "/a.txt", "a.example\n");
  ProcessResult r = testing::Run(
      PsiArgs("alpha", bravo_fp_, "--connect", "127.0.0.1:1", dir_ + "/a.txt",
              {"--require-build", "sha256:1234"}),
      dir_);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--require-build"));
}

// Differentially private count and sum: two processes over TLS; the
// receiver's result file is one JSON object with the noised estimate and
// its parameters, and no items.
class DpE2eTest : public PsiE2eTest {
 protected:
  nlohmann::json ReadJson(const std::string& path) {
    return nlohmann::json::parse(ReadFile(path), nullptr, /*allow_exceptions=*/false);
  }
  static void ExpectRelease(const nlohmann::json& j, const std::string& mechanism) {
    ASSERT_TRUE(j.contains("estimate")) << j.dump();
    EXPECT_EQ(j["mechanism"], mechanism);
    ASSERT_TRUE(j["ci95"].is_array() && j["ci95"].size() == 2) << j.dump();
    const int64_t est = j["estimate"], lo = j["ci95"][0], hi = j["ci95"][1];
    EXPECT_LE(lo, est);
    EXPECT_LE(est, hi);
    EXPECT_EQ(est - lo, hi - est);
    EXPECT_GT(j["noise_scale"].get<double>(), 0);
    EXPECT_TRUE(j.contains("epsilon") && j.contains("delta")) << j.dump();
  }
};

TEST_F(DpE2eTest, NoisedCountGoesOnlyToTheReceiverWithItsParameters) {
  WriteFile(dir_ + "/a.txt", "a.example\nb.example\nc.example\nd.example\n");
  WriteFile(dir_ + "/b.txt", "b.example\nc.example\nd[.]example\ne.example\n");
  Pair p = RunPair(dir_ + "/a.txt",
                   {"--mode", "count", "--epsilon", "0.5", "--result-to", "me", "--output",
                    dir_ + "/a.json", "--summary-json", dir_ + "/as.json"},
                   dir_ + "/b.txt",
                   {"--mode", "count", "--epsilon", "5e-1", "--result-to", "peer",
                    "--summary-json", dir_ + "/bs.json"});
  ASSERT_EQ(p.alpha.exit_code, 0) << p.alpha.err;
  ASSERT_EQ(p.bravo.exit_code, 0) << p.bravo.err;
  const std::string text = ReadFile(dir_ + "/a.json");
  EXPECT_THAT(text, ::testing::Not(HasSubstr("example")));
  nlohmann::json a = ReadJson(dir_ + "/a.json");
  ExpectRelease(a, "discrete_laplace");
  EXPECT_EQ(a["epsilon"], 0.5);
  EXPECT_EQ(a["delta"], 0);
  EXPECT_EQ(a["noise_scale"], 2);
  EXPECT_EQ(a["mode"], "count");
  // Scale 2: |noise| > 60 has probability about e^-30.
  EXPECT_NEAR(a["estimate"].get<double>(), 3, 60);
  nlohmann::json as = ReadJson(dir_ + "/as.json");
  EXPECT_EQ(as["protocol"], "dp-aggregate");
  EXPECT_EQ(as["result"]["estimate"], a["estimate"]);
  EXPECT_FALSE(as.contains("intersection_size"));
  nlohmann::json bs = ReadJson(dir_ + "/bs.json");
  EXPECT_EQ(bs["received"], false);
  EXPECT_FALSE(bs.contains("result"));
}

// Malicious mode (issue 11): two processes, the noise calibrated for the
// sensitivity a deviating receiver can reach (3 bins per item: scale 3/ε).
TEST_F(DpE2eTest, MaliciousNoisedCountRunsWithNoiseForThreeBinsPerItem) {
  WriteFile(dir_ + "/a.txt", "a.example\nb.example\nc.example\nd.example\n");
  WriteFile(dir_ + "/b.txt", "b.example\nc.example\nd[.]example\ne.example\n");
  Pair p = RunPair(dir_ + "/a.txt",
                   {"--mode", "count", "--epsilon", "0.5", "--security", "malicious",
                    "--result-to", "me", "--output", dir_ + "/a.json"},
                   dir_ + "/b.txt",
                   {"--mode", "count", "--epsilon", "0.5", "--security", "malicious",
                    "--result-to", "peer"});
  ASSERT_EQ(p.alpha.exit_code, 0) << p.alpha.err;
  ASSERT_EQ(p.bravo.exit_code, 0) << p.bravo.err;
  nlohmann::json a = ReadJson(dir_ + "/a.json");
  ExpectRelease(a, "discrete_laplace");
  EXPECT_EQ(a["noise_scale"], 6);
  // Scale 6: |noise| > 180 has probability about e^-30.
  EXPECT_NEAR(a["estimate"].get<double>(), 3, 180);
}

TEST_F(DpE2eTest, NoisedSumOfIntegerAmountsWithGaussianAndCount) {
  WriteFile(dir_ + "/a.txt", "a.example\nb.example\nc.example\n");
  // Amounts in cents; b.example twice (summed: 700), one clamped (5000 → 1000).
  WriteFile(dir_ + "/b.csv",
            "domain,amount\nb.example,300\nc.example,5000\nb.example,400\nz.example,-20\n");
  Pair p = RunPair(dir_ + "/a.txt",
                   {"--mode", "sum", "--epsilon", "1", "--delta", "1e-6", "--bounds", "-1000:1000",
                    "--count-epsilon", "0.5", "--result-to", "me", "--output", dir_ + "/a.json"},
                   dir_ + "/b.csv",
                   {"--mode", "sum", "--epsilon", "1", "--delta", "0.000001", "--bounds",
                    "-1000:1000", "--count-epsilon", "0.5", "--result-to", "peer",
                    "--value-column", "amount", "--column", "domain"});
  ASSERT_EQ(p.alpha.exit_code, 0) << p.alpha.err;
  ASSERT_EQ(p.bravo.exit_code, 0) << p.bravo.err;
  nlohmann::json a = ReadJson(dir_ + "/a.json");
  ExpectRelease(a, "discrete_gaussian");
  EXPECT_EQ(a["mode"], "sum");
  EXPECT_TRUE(a.contains("rho"));
  const double sigma = a["noise_scale"];
  EXPECT_NEAR(sigma, 5351, 20);  // Δ = 1000, ρ ≈ 0.01747
  EXPECT_NEAR(a["estimate"].get<double>(), 1700, 10 * sigma);
  ExpectRelease(a["count"], "discrete_gaussian");
  EXPECT_EQ(a["job_privacy_cost"].get<std::string>().substr(0, 4), "rho=");
  EXPECT_THAT(ReadFile(dir_ + "/a.json"), ::testing::Not(HasSubstr("example")));
}

TEST_F(DpE2eTest, EpsilonMismatchStopsBothSidesSayingWhatDiffered) {
  WriteFile(dir_ + "/a.txt", "a.example\n");
  WriteFile(dir_ + "/b.txt", "a.example\n");
  Pair p = RunPair(dir_ + "/a.txt", {"--mode", "count", "--epsilon", "1", "--output",
                                     dir_ + "/a.json"},
                   dir_ + "/b.txt", {"--mode", "count", "--epsilon", "2"});
  EXPECT_EQ(p.alpha.exit_code, 5) << p.alpha.err;
  EXPECT_EQ(p.bravo.exit_code, 5) << p.bravo.err;
  EXPECT_THAT(p.alpha.err, HasSubstr("differential privacy differs"));
  EXPECT_THAT(p.bravo.err, HasSubstr("epsilon=2"));
  EXPECT_FALSE(fs::exists(dir_ + "/a.json"));
}

TEST_F(DpE2eTest, NonIntegerValueIsRefusedWithItsLine) {
  WriteFile(dir_ + "/b.csv", "domain,amount\nb.example,300\nc.example,12.50\n");
  ProcessResult r = testing::Run(
      PsiArgs("bravo", alpha_fp_, "--listen", "127.0.0.1:1", dir_ + "/b.csv",
              {"--mode", "sum", "--epsilon", "1", "--bounds", "0:100", "--result-to", "peer",
               "--value-column", "amount", "--column", "domain"}),
      dir_);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("line 3"));
  EXPECT_THAT(r.err, HasSubstr("12.50"));
}

// Malicious noised counts and sums give the result to one side only (the
// side whose data the noise protects fixes what it reveals).
TEST_F(DpE2eTest, EcdhAndMaliciousToBothAreRefusedForNoisedModes) {
  WriteFile(dir_ + "/a.txt", "a.example\n");
  for (std::vector<std::string> extra :
       {std::vector<std::string>{"--protocol", "ecdh"},
        std::vector<std::string>{"--security", "malicious", "--result-to", "both"}}) {
    std::vector<std::string> args = {"--mode", "count", "--epsilon", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = testing::Run(
        PsiArgs("alpha", bravo_fp_, "--connect", "127.0.0.1:1", dir_ + "/a.txt", args), dir_);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_THAT(r.err, ::testing::AnyOf(HasSubstr("ecdh-psi has no"), HasSubstr("one side only")));
  }
}

}  // namespace
}  // namespace liaison
