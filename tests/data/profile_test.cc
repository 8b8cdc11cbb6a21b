#include "data/profile.h"

#include <fstream>
#include <string>
#include <vector>

#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison::data {
namespace {

using ::testing::HasSubstr;

constexpr ItemType kAllTypes[] = {
    ItemType::kIpv4,   ItemType::kIpv6,   ItemType::kCidr,  ItemType::kDomain,
    ItemType::kUrl,    ItemType::kEmail,  ItemType::kMd5,   ItemType::kSha1,
    ItemType::kSha256, ItemType::kSha512, ItemType::kString};

std::string Message(const absl::Status& s) { return std::string(s.message()); }

// Unescape decodes the escapes of the vector file format.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char e = s[++i];
    switch (e) {
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'x':
        out.push_back(static_cast<char>(
            std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
        break;
      default:
        out.push_back(e);
    }
  }
  return out;
}

struct Vector {
  int line;
  std::string type;
  std::string input;
  std::string expected_type;
  std::string expected;
};

std::vector<Vector> LoadVectors() {
  std::ifstream in(LIAISON_SOURCE_DIR "/tests/vectors/data/profile_v1.txt");
  EXPECT_TRUE(in.good()) << "cannot open the vector file";
  std::vector<Vector> out;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    size_t start = 0;
    while (true) {
      size_t tab = line.find('\t', start);
      f.push_back(line.substr(
          start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    EXPECT_EQ(f.size(), 4u) << "vector file line " << line_no;
    if (f.size() != 4) continue;
    out.push_back({line_no, f[0], Unescape(f[1]), f[2], Unescape(f[3])});
  }
  return out;
}

TEST(ProfileVectorsTest, EveryVectorGivesTheExpectedResult) {
  const Profile& p = Profile::V1();
  std::vector<Vector> vectors = LoadVectors();
  ASSERT_GT(vectors.size(), 200u);
  for (const Vector& v : vectors) {
    SCOPED_TRACE(StrCat("profile_v1.txt line ", v.line));
    std::optional<ItemType> type;
    if (v.type != "auto") {
      auto t = ParseTypeName(v.type);
      ASSERT_TRUE(t.ok()) << t.status();
      type = *t;
    }
    auto got = p.Normalize(v.input, type);
    if (v.expected_type == "reject") {
      if (got.ok()) {
        ADD_FAILURE() << "accepted as " << TypeName(got->type) << ": "
                      << got->value;
        continue;
      }
      EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(Message(got.status()), HasSubstr(v.expected));
    } else {
      if (!got.ok()) {
        ADD_FAILURE() << got.status();
        continue;
      }
      EXPECT_EQ(TypeName(got->type), v.expected_type);
      EXPECT_EQ(got->value, v.expected);
    }
  }
}

TEST(ProfileVectorsTest, CanonicalValuesAreFixedPoints) {
  const Profile& p = Profile::V1();
  for (const Vector& v : LoadVectors()) {
    if (v.expected_type == "reject") continue;
    SCOPED_TRACE(StrCat("profile_v1.txt line ", v.line));
    auto type = ParseTypeName(v.expected_type);
    ASSERT_TRUE(type.ok());
    auto again = p.Normalize(v.expected, *type);
    if (!again.ok()) {
      ADD_FAILURE() << again.status();
      continue;
    }
    EXPECT_EQ(again->value, v.expected);
  }
}

TEST(TypeNameTest, RoundTripsEveryType) {
  for (ItemType t : kAllTypes) {
    auto back = ParseTypeName(TypeName(t));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, t);
  }
}

TEST(TypeNameTest, NamesAreTheDocumentedOnes) {
  std::vector<std::string> names;
  for (ItemType t : kAllTypes) names.emplace_back(TypeName(t));
  EXPECT_THAT(names, ::testing::ElementsAre("ipv4", "ipv6", "cidr", "domain",
                                            "url", "email", "md5", "sha1",
                                            "sha256", "sha512", "string"));
}

TEST(TypeNameTest, ParseIgnoresCase) {
  auto t = ParseTypeName("SHA256");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, ItemType::kSha256);
}

TEST(TypeNameTest, UnknownNameListsValidNames) {
  auto t = ParseTypeName("hostname");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(t.status()), HasSubstr("'hostname'"));
  EXPECT_THAT(Message(t.status()),
              HasSubstr("ipv4, ipv6, cidr, domain, url, email, md5, sha1, "
                        "sha256, sha512, string"));
}

TEST(TypeNameTest, UnknownNameIsShownEscaped) {
  auto t = ParseTypeName("ip\x1b]0;x\x07");
  ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(t.status()), HasSubstr("'ip\\x1B]0;x\\x07'"));
}

TEST(MatchKeyTest, IsTypeNameNulValue) {
  EXPECT_EQ(MatchKey({ItemType::kIpv4, "1.2.3.4"}), std::string("ipv4\0"
                                                                "1.2.3.4",
                                                                12));
}

TEST(MatchKeyTest, SameValueOfDifferentTypesGivesDifferentKeys) {
  EXPECT_NE(MatchKey({ItemType::kIpv4, "1.2.3.4"}),
            MatchKey({ItemType::kString, "1.2.3.4"}));
}

TEST(ProfileTest, V1HasItsNameAndVersion) {
  EXPECT_EQ(Profile::V1().name(), "liaison-indicators");
  EXPECT_EQ(Profile::V1().version(), 1);
  EXPECT_EQ(&Profile::V1(), &Profile::V1());
}

// This pin makes any change to the rules' definition text a deliberate act:
// update it only together with the definition (and, if canonical values
// change, a new profile version), since peers compare digests.
TEST(ProfileTest, V1DigestIsPinned) {
  EXPECT_EQ(Profile::V1().digest(),
            "10e72d705cff2ded355965daaea3f1c97cf4315e409f99c692f52e921363a7cb");
}

TEST(ProfileTest, DigestIsSha256OfTheDefinition) {
  const Profile& p = Profile::V1();
  EXPECT_EQ(p.digest(), Profile::DigestOf(p.definition()));
  EXPECT_EQ(p.digest().size(), 64u);
  // SHA-256("") from FIPS 180-4.
  EXPECT_EQ(Profile::DigestOf(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(ProfileTest, ModifiedDefinitionChangesTheDigest) {
  const Profile& p = Profile::V1();
  std::string changed(p.definition());
  size_t pos = changed.find("default-ports: ftp 21");
  ASSERT_NE(pos, std::string::npos);
  changed.replace(pos, 21, "default-ports: ftp 22");
  EXPECT_NE(Profile::DigestOf(changed), p.digest());
  EXPECT_NE(Profile::DigestOf(StrCat(p.definition(), "\n")), p.digest());
}

TEST(ProfileTest, DefinitionIsCanonicalText) {
  std::string_view d = Profile::V1().definition();
  EXPECT_EQ(d.find('\r'), std::string_view::npos);
  EXPECT_EQ(d.find(" \n"), std::string_view::npos) << "trailing space";
  EXPECT_EQ(d.find("\t"), std::string_view::npos);
  EXPECT_EQ(d.back(), '\n');
  EXPECT_THAT(std::string(d), HasSubstr("name: liaison-indicators\n"));
  EXPECT_THAT(std::string(d), HasSubstr("version: 1\n"));
  // Every type has a section or is named in one.
  for (ItemType t : kAllTypes) {
    EXPECT_THAT(std::string(d), HasSubstr(StrCat(TypeName(t))));
  }
}

TEST(ProfileTest, RejectsAreInvalidArgumentWithAReason) {
  auto r = Profile::V1().Normalize("999.1.1.1", ItemType::kIpv4);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(r.status()), "ipv4 octet out of range");
}

TEST(ProfileTest, HashLengthReasonIsExact) {
  auto r = Profile::V1().Normalize(std::string(63, 'a'), ItemType::kSha256);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Message(r.status()), "sha256 must be 64 hex digits, got 63");
}

TEST(ProfileTest, AutoDetectionRejectsUnknownShapesWithTheDocumentedReason) {
  auto r = Profile::V1().Normalize("just some words", std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(r.status()),
            "not a recognised indicator type (give --type string to match it "
            "exactly)");
}

TEST(ProfileTest, EveryDefangFormRefangsInDomainsAndEmails) {
  const Profile& p = Profile::V1();
  for (std::string_view dot :
       {"[.]", "(.)", "{.}", "[dot]", "(dot)", "[DOT]", "(Dot)"}) {
    auto d = p.Normalize(StrCat("evil", dot, "example"), ItemType::kDomain);
    ASSERT_TRUE(d.ok()) << dot << ": " << d.status();
    EXPECT_EQ(d->value, "evil.example");
  }
  for (std::string_view at : {"[at]", "(at)", "[@]", "[AT]", "(At)"}) {
    auto e = p.Normalize(StrCat("bob", at, "evil.example"), std::nullopt);
    ASSERT_TRUE(e.ok()) << at << ": " << e.status();
    EXPECT_EQ(e->type, ItemType::kEmail);
    EXPECT_EQ(e->value, "bob@evil.example");
  }
  for (std::string_view scheme :
       {"hxxp://", "hXXp://", "HXXP://", "hxxp[:]//", "hxxp[://]"}) {
    auto u = p.Normalize(StrCat(scheme, "evil.example/a"), std::nullopt);
    ASSERT_TRUE(u.ok()) << scheme << ": " << u.status();
    EXPECT_EQ(u->type, ItemType::kUrl);
    EXPECT_EQ(u->value, "http://evil.example/a");
  }
  for (std::string_view scheme : {"hxxps://", "hXXps://", "HXXPS[://]"}) {
    auto u = p.Normalize(StrCat(scheme, "evil.example/a"), std::nullopt);
    ASSERT_TRUE(u.ok()) << scheme << ": " << u.status();
    EXPECT_EQ(u->value, "https://evil.example/a");
  }
}

TEST(ProfileTest, RefangingIsNotAppliedToStringsOrHashes) {
  auto s = Profile::V1().Normalize("a[.]b[at]c", ItemType::kString);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->value, "a[.]b[at]c");
}

TEST(ProfileTest, NestedDefangingRefangsToAFixedPoint) {
  auto d = Profile::V1().Normalize("evil([.])example", ItemType::kDomain);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->value, "evil.example");
}

TEST(ProfileTest, HostNameTextIsNotMistakenForASchemeDefang) {
  auto d = Profile::V1().Normalize("hxxpexample.com", ItemType::kDomain);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->value, "hxxpexample.com");
}

}  // namespace
}  // namespace liaison::data
