// Fuzz-style robustness tests: random and mutated inputs must never crash
// the normalisers or the readers, rejects must be InvalidArgument, and every
// canonical value must normalise to itself. The seed is fixed so a failure
// reproduces; a libFuzzer target can reuse the same properties.
#include <random>
#include <string>
#include <vector>

#include "base/strings.h"
#include "data/input.h"
#include "data/profile.h"
#include "data/testing/files.h"
#include "gtest/gtest.h"

namespace liaison::data {
namespace {

constexpr uint32_t kSeed = 20240611;

constexpr ItemType kAllTypes[] = {
    ItemType::kIpv4,   ItemType::kIpv6,   ItemType::kCidr,  ItemType::kDomain,
    ItemType::kUrl,    ItemType::kEmail,  ItemType::kMd5,   ItemType::kSha1,
    ItemType::kSha256, ItemType::kSha512, ItemType::kString};

// Pieces that reach deep into the parsers when strung together.
const std::vector<std::string>& Tokens() {
  static const auto* tokens = new std::vector<std::string>{
      "http",   "hxxps", "://", "[://]", "[.]",   "(dot)", "[at]", "@",
      ".",      ":",     "::",  "/",     "/..",   "/./",   "%",    "%2e",
      "%C3%BC", "?",     "#",   "[",     "]",     "xn--",  "-",    "_",
      "0",      "1",     "255", "256",   "010",   "ffff",  "a",    "Z",
      "ü",      "ß",     "。",  "\xff",  "\xc3",  " ",     "\t",   "\r\n",
      ",",      "\"",    "{",   "}",     "\"v\"", "null",  "\\",   "\0"};
  return *tokens;
}

std::string RandomBytes(std::mt19937& rng, size_t max_len) {
  std::uniform_int_distribution<size_t> len(0, max_len);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(len(rng), '\0');
  for (char& c : s) c = static_cast<char>(byte(rng));
  return s;
}

std::string RandomTokens(std::mt19937& rng, size_t max_tokens) {
  const auto& tokens = Tokens();
  std::uniform_int_distribution<size_t> count(0, max_tokens);
  std::uniform_int_distribution<size_t> pick(0, tokens.size() - 1);
  std::string s;
  for (size_t n = count(rng); n > 0; --n) s += tokens[pick(rng)];
  return s;
}

void CheckNormalize(const std::string& input) {
  const Profile& p = Profile::V1();
  std::vector<std::optional<ItemType>> types(std::begin(kAllTypes),
                                             std::end(kAllTypes));
  types.push_back(std::nullopt);
  for (const auto& type : types) {
    absl::StatusOr<Item> item = p.Normalize(input, type);
    if (!item.ok()) {
      ASSERT_EQ(item.status().code(), absl::StatusCode::kInvalidArgument)
          << item.status();
      ASSERT_FALSE(item.status().message().empty());
      continue;
    }
    if (type.has_value()) {
      ASSERT_EQ(item->type, *type);
    }
    absl::StatusOr<Item> again = p.Normalize(item->value, item->type);
    ASSERT_TRUE(again.ok())
        << "canonical value rejected: '" << item->value << "' ("
        << TypeName(item->type) << "): " << again.status();
    ASSERT_EQ(again->value, item->value)
        << "not a fixed point, from input '" << input << "'";
  }
}

TEST(NormalizeRobustnessTest, RandomBytesNeverCrash) {
  std::mt19937 rng(kSeed);
  for (int i = 0; i < 3000; ++i) {
    std::string input = RandomBytes(rng, 80);
    SCOPED_TRACE(i);
    CheckNormalize(input);
    if (HasFatalFailure()) return;
  }
}

TEST(NormalizeRobustnessTest, RandomTokenStringsAreRejectedOrFixedPoints) {
  std::mt19937 rng(kSeed + 1);
  for (int i = 0; i < 20000; ++i) {
    std::string input = RandomTokens(rng, 12);
    SCOPED_TRACE(i);
    CheckNormalize(input);
    if (HasFatalFailure()) return;
  }
}

TEST(NormalizeRobustnessTest, PlausibleIndicatorsWithMutationsAreHandled) {
  const std::vector<std::string> seeds = {
      "hxxps://User:Pw@BÜCHER.example:443/a/./b/../%7e?q=%2f#F",
      "2001:db8::ffff:1.2.3.4",
      "10.0.0.0/8",
      "bob[at]evil(dot)example",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "http://[::1]:8080/x",
      "ftp://a/%zz",
      "xn--bcher-kva.example."};
  std::mt19937 rng(kSeed + 2);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[i % seeds.size()];
    std::uniform_int_distribution<int> edits(1, 4);
    for (int e = edits(rng); e > 0 && !s.empty(); --e) {
      std::uniform_int_distribution<size_t> pos(0, s.size() - 1);
      switch (byte(rng) % 3) {
        case 0:
          s[pos(rng)] = static_cast<char>(byte(rng));
          break;
        case 1:
          s.erase(pos(rng), 1);
          break;
        case 2:
          s.insert(pos(rng), Tokens()[byte(rng) % Tokens().size()]);
          break;
      }
    }
    SCOPED_TRACE(StrCat(i, ": ", s));
    CheckNormalize(s);
    if (HasFatalFailure()) return;
  }
}

TEST(NormalizeRobustnessTest, HugeAndDeepInputsAreHandled) {
  CheckNormalize(std::string(100000, '.'));
  CheckNormalize("http://a/" + std::string(50000, '/') + "..");
  CheckNormalize("http://a/" + std::string(20000, '[') + "." +
                 std::string(20000, ']'));
  CheckNormalize(std::string(5000, 'a') + "@" + std::string(5000, 'b'));
  CheckNormalize(std::string(100000, ':'));
}

// Reads `content` in every format and checks the reader's contract: errors
// are InvalidArgument, records and rejects come in line order.
void CheckReaders(const testing::TempDir& dir, const std::string& content) {
  std::string path = dir.Write("fuzz.in", content);
  for (Format format : {Format::kText, Format::kCsv, Format::kJsonLines}) {
    InputSpec spec{.path = path,
                   .format = format,
                   .column = "v",
                   .field = "v",
                   .type = std::nullopt,
                   .value_column = "",
                   .value_field = ""};
    uint64_t last = 0;
    bool ordered = true;
    absl::Status s = ReadInput(
        spec, Profile::V1(),
        [&](Record&& r) {
          ordered = ordered && r.line >= last && r.line > 0;
          last = r.line;
        },
        [&](Reject&& r) {
          ordered = ordered && r.line >= last && r.line > 0;
          last = r.line;
        });
    ASSERT_TRUE(s.ok() || s.code() == absl::StatusCode::kInvalidArgument)
        << FormatName(format) << ": " << s;
    ASSERT_TRUE(ordered) << FormatName(format);
  }
}

TEST(ReaderRobustnessTest, RandomFilesNeverCrash) {
  testing::TempDir dir;
  std::mt19937 rng(kSeed + 3);
  for (int i = 0; i < 300; ++i) {
    SCOPED_TRACE(i);
    CheckReaders(dir, RandomBytes(rng, 2000));
    if (HasFatalFailure()) return;
  }
}

TEST(ReaderRobustnessTest, RandomTokenFilesNeverCrash) {
  testing::TempDir dir;
  std::mt19937 rng(kSeed + 4);
  for (int i = 0; i < 500; ++i) {
    std::string content = "v\n";
    std::uniform_int_distribution<int> lines(0, 30);
    for (int n = lines(rng); n > 0; --n) {
      StrAppend(content, n % 2 == 0 ? "{\"v\":\"" : "\"", RandomTokens(rng, 8),
                n % 3 == 0 ? "\"}" : "", "\n");
    }
    SCOPED_TRACE(i);
    CheckReaders(dir, content);
    if (HasFatalFailure()) return;
  }
}

TEST(ReaderRobustnessTest, DeeplyNestedJsonIsHandled) {
  testing::TempDir dir;
  std::string deep = "{\"v\":\"1.2.3.4\",\"n\":" + std::string(100000, '[') +
                     std::string(100000, ']') + "}\n";
  CheckReaders(dir, deep);
  CheckReaders(dir, std::string(200000, '{') + "\n");
}

}  // namespace
}  // namespace liaison::data
