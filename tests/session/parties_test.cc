#include "session/parties.h"

#include <cstdio>
#include <string>
#include <vector>

#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mpsi/mpsi.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace liaison::session {
namespace {

using ::testing::HasSubstr;

std::string Fp(char digit) { return "sha256:" + std::string(64, digit); }

// kThree is a valid file of three members, with comments and blank lines.
const std::string kThree = "# the alliance\n"
                           "\n"
                           "alpha 127.0.0.1:7401 " + Fp('a') + "\n"
                           "bravo\t[::1]:7402\t" + Fp('b') + "   # the second\n"
                           "  charlie  node-c.example.org:7403  SHA256:" + std::string(64, 'C') +
                           "\r\n";

// ErrorOf parses `text` and returns its error message (empty if it parsed).
std::string ErrorOf(const std::string& text) {
  absl::StatusOr<std::vector<Party>> got = ParseParties(text, "parties.txt");
  if (got.ok()) return "";
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << got.status();
  return std::string(got.status().message());
}

TEST(PartiesTest, ParsesMembersInFileOrderWithTheirLines) {
  absl::StatusOr<std::vector<Party>> got = ParseParties(kThree, "parties.txt");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].name, "alpha");
  EXPECT_EQ((*got)[0].host_port.host, "127.0.0.1");
  EXPECT_EQ((*got)[0].host_port.port, 7401);
  EXPECT_EQ((*got)[0].line, 3);
  EXPECT_EQ((*got)[1].name, "bravo");
  EXPECT_EQ((*got)[1].host_port.host, "::1");
  EXPECT_EQ((*got)[1].address, "[::1]:7402");
  EXPECT_EQ((*got)[1].line, 4);
  EXPECT_EQ((*got)[2].name, "charlie");
  EXPECT_EQ((*got)[2].host_port.host, "node-c.example.org");
  EXPECT_EQ((*got)[2].fingerprint, Fp('c'));  // canonical: lower case
  EXPECT_EQ((*got)[2].line, 5);
}

// kBadLines are sixth lines added to kThree, each with the error it must
// give: every error names the file, the line and the field at fault.
struct BadLine {
  std::string line;
  std::string error;
};
const BadLine kBadLines[] = {
    {"delta 127.0.0.1:7404", "parties.txt line 6: expected NAME HOST:PORT sha256:FINGERPRINT, found 2"},
    {"delta 127.0.0.1:7404 " + Fp('d') + " extra", "line 6: expected NAME HOST:PORT"},
    {"d/elta 127.0.0.1:7404 " + Fp('d'), "parties.txt line 6: bad name 'd/elta'"},
    {"-delta 127.0.0.1:7404 " + Fp('d'),
     "line 6: bad name '-delta': a name starts with a letter or a digit"},
    {std::string(65, 'x') + " 127.0.0.1:7404 " + Fp('d'), "line 6: bad name"},
    {"delta 127.0.0.1 " + Fp('d'), "parties.txt line 6: bad address '127.0.0.1' of delta"},
    {"delta ::1:7404 " + Fp('d'), "line 6: bad address '::1:7404' of delta"},
    {"delta 127.0.0.1:70000 " + Fp('d'), "line 6: bad address"},
    {"delta 127.0.0.1:0 " + Fp('d'),
     "line 6: bad address '127.0.0.1:0' of delta: port 0 cannot be dialled"},
    {"delta 127.0.0.1:7404 sha256:1234", "parties.txt line 6: bad fingerprint 'sha256:1234' of delta"},
    {"delta 127.0.0.1:7404 " + std::string(64, 'd'), "line 6: bad fingerprint"},
    {"delta 127.0.0.1:7404 sha512:" + std::string(64, 'd'), "line 6: bad fingerprint"},
    {"bravo 127.0.0.1:7404 " + Fp('d'),
     "parties.txt line 6: duplicate name 'bravo' (already on line 4)"},
    {"delta NODE-C.example.org:7403 " + Fp('d'), "line 6: duplicate address"},
    {"delta 127.0.0.1:7404 " + Fp('A'),
     "line 6: duplicate fingerprint '" + Fp('a') + "' (already on line 3)"},
};

TEST(PartiesTest, EveryBadLineNamesTheLineAndTheField) {
  for (const BadLine& bad : kBadLines) {
    SCOPED_TRACE(bad.line);
    EXPECT_THAT(ErrorOf(kThree + bad.line + "\n"), HasSubstr(bad.error));
  }
  // The same host on another port is another member.
  EXPECT_EQ(ErrorOf(kThree + "delta 127.0.0.1:7404 " + Fp('d') + "\n"), "");
}

TEST(PartiesTest, MemberCountIsBetweenTwoAndTheProtocolsLimit) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("parties.txt lists 0 members; a job needs at least 2"));
  EXPECT_THAT(ErrorOf("# nobody\nalpha 127.0.0.1:7401 " + Fp('a') + "\n"),
              HasSubstr("lists 1 member; a job needs at least 2"));
  std::string many;
  for (int i = 0; i <= mpsi::kMaxParties; ++i) {
    char hex[65];
    std::snprintf(hex, sizeof(hex), "%064x", i);
    many += "m" + std::to_string(i) + " 127.0.0.1:" + std::to_string(7000 + i) + " sha256:" +
            hex + "\n";
  }
  EXPECT_THAT(ErrorOf(many), HasSubstr(StrCat("line ", mpsi::kMaxParties + 1, ": more than ",
                                              mpsi::kMaxParties, " members")));
}

TEST(PartiesTest, BinaryOrHugeTextIsRefused) {
  EXPECT_THAT(ErrorOf(kThree + std::string(1, '\0')), HasSubstr("NUL byte"));
  EXPECT_THAT(ErrorOf(kThree + std::string(kMaxPartiesFileLen, '#')), HasSubstr("not a parties file"));
}

TEST(PartiesTest, FindMeChecksOurKeyAgainstTheFile) {
  absl::StatusOr<std::vector<Party>> parties = ParseParties(kThree, "parties.txt");
  ASSERT_TRUE(parties.ok());
  absl::StatusOr<int> me = FindMe(*parties, "bravo", Fp('b'));
  ASSERT_TRUE(me.ok()) << me.status();
  EXPECT_EQ(*me, 1);
  absl::StatusOr<int> stranger = FindMe(*parties, "delta", Fp('d'));
  EXPECT_EQ(stranger.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stranger.status().message(),
              HasSubstr("'delta' is not a member of the parties file (members: alpha, bravo, "
                        "charlie)"));
  absl::StatusOr<int> wrong_key = FindMe(*parties, "bravo", Fp('e'));
  EXPECT_EQ(wrong_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong_key.status().message(),
              HasSubstr("pins " + Fp('b') + " for bravo (line 4), but our identity's key is " +
                        Fp('e')));
}

TEST(PartiesTest, DigestCoversNamesKeysAndOrderButNotAddresses) {
  auto parse = [](const std::string& text) { return *ParseParties(text, "p"); };
  const std::string a = "alpha 127.0.0.1:7401 " + Fp('a') + "\n";
  const std::string b = "bravo 127.0.0.1:7402 " + Fp('b') + "\n";
  const std::string digest = PartiesDigest(parse(a + b));
  EXPECT_EQ(digest.substr(0, 7), "sha256:");
  EXPECT_EQ(digest.size(), 71u);
  EXPECT_EQ(PartiesDigest(parse("# c\n" + a + "\n" + b)), digest);
  EXPECT_EQ(PartiesDigest(parse("alpha host-a:9 " + Fp('a') + "\n" + b)), digest);
  EXPECT_NE(PartiesDigest(parse(b + a)), digest);
  EXPECT_NE(PartiesDigest(parse("alpha 127.0.0.1:7401 " + Fp('c') + "\n" + b)), digest);
  EXPECT_NE(PartiesDigest(parse("alpho 127.0.0.1:7401 " + Fp('a') + "\n" + b)), digest);
}

TEST(PartiesTest, LoadPartiesReadsTheFileAndNamesIt) {
  testing::ScopedTempDir tmp;
  testing::WriteFile(tmp.Sub("parties.txt"), kThree + "x\n");
  absl::StatusOr<std::vector<Party>> got = LoadParties(tmp.Sub("parties.txt"));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(got.status().message(), HasSubstr(tmp.Sub("parties.txt") + " line 6"));
  EXPECT_EQ(LoadParties(tmp.Sub("missing.txt")).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace liaison::session
