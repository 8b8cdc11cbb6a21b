#include "node/config.h"

#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/home.h"

namespace liaison::node {
namespace {

using ::testing::HasSubstr;

const std::string kFp(64, 'a');

// kBase is a valid config; the line numbers in the cases below refer to it.
const std::string kBase =
    "[node]\n"                                       // 1
    "name = \"alpha\"\n"                             // 2
    "peer_listen = \"0.0.0.0:7400\"\n"               // 3
    "rest_listen = \"127.0.0.1:7480\"\n"             // 4
    "\n"                                             // 5
    "[peers.bravo]\n"                                // 6
    "address = \"bravo.example:7400\"\n"             // 7
    "fingerprint = \"sha256:" + kFp + "\"\n"         // 8
    "\n"                                             // 9
    "[datasets.ind]\n"                               // 10
    "file = \"ind.txt\"\n"                           // 11
    "tlp = \"amber\"\n"                              // 12
    "\n"                                             // 13
    "[alliances.fin]\n"                              // 14
    "members = [\"bravo\"]\n"                        // 15
    "questions = [\"match\"]\n"                      // 16
    "protocols = [\"rr22\"]\n"                       // 17
    "max_set_size = 1000\n"                          // 18
    "jobs_per_hour_per_peer = 5\n"                   // 19
    "approval = \"auto\"\n"                          // 20
    "tlp_ceiling = \"amber\"\n"                      // 21
    "[alliances.fin.datasets]\n"                     // 22
    "bravo = [\"ind\"]\n";                           // 23

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

TEST(ConfigTest, ValidConfigParsesIntoStructs) {
  std::string text = Replace(kBase, "sha256:" + kFp, "SHA256:" + std::string(64, 'A'));
  text = Replace(text, "questions = [\"match\"]", "questions = [\"match\", \"count\"]");
  text += "[alliances.fin.dp]\nepsilon = \"0.50\"\ndelta = \"0.000001\"\n";
  auto config = ParseConfig(text, "liaison.toml", "/srv/node");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->node.name, "alpha");
  EXPECT_EQ(config->node.peer_listen, "0.0.0.0:7400");
  ASSERT_EQ(config->peers.count("bravo"), 1u);
  EXPECT_EQ(config->peers.at("bravo").fingerprint, "sha256:" + kFp);
  const DatasetConfig& ds = config->datasets.at("ind");
  EXPECT_EQ(ds.resolved_path, "/srv/node/ind.txt");
  EXPECT_EQ(ds.format, data::Format::kText);
  EXPECT_FALSE(ds.type.has_value());
  EXPECT_EQ(ds.tlp, Tlp::kAmber);
  const AllianceConfig& a = config->alliances.at("fin");
  EXPECT_EQ(a.members, std::vector<std::string>{"bravo"});
  EXPECT_EQ(a.datasets.at("bravo"), std::vector<std::string>{"ind"});
  EXPECT_EQ(a.questions, (std::vector<Question>{Question::kMatch, Question::kCount}));
  EXPECT_EQ(a.min_set_size, 1u);
  EXPECT_EQ(a.max_set_size, 1000u);
  EXPECT_EQ(a.jobs_per_hour_per_peer, 5u);
  EXPECT_EQ(a.approval, Approval::kAuto);
  ASSERT_TRUE(a.dp.has_value());
  // Kept exactly as written: the dp module parses decimals itself.
  EXPECT_EQ(a.dp->epsilon, "0.50");
  EXPECT_EQ(a.dp->delta, "0.000001");
}

TEST(ConfigTest, PeerRetryKeysHaveDefaultsAndBounds) {
  auto config = ParseConfig(kBase, "liaison.toml", "/srv/node");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->node.peer_connect_timeout_seconds, 5u);
  EXPECT_EQ(config->node.peer_retry_attempts, 5u);
  EXPECT_EQ(config->node.peer_retry_initial_seconds, 5u);
  EXPECT_EQ(config->node.peer_retry_max_seconds, 300u);
  std::string text = Replace(kBase, "rest_listen = \"127.0.0.1:7480\"\n",
                             "rest_listen = \"127.0.0.1:7480\"\npeer_connect_timeout_seconds = 2\n"
                             "peer_retry_attempts = 3\npeer_retry_initial_seconds = 1\n"
                             "peer_retry_max_seconds = 8\n");
  config = ParseConfig(text, "liaison.toml", "/srv/node");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->node.peer_connect_timeout_seconds, 2u);
  EXPECT_EQ(config->node.peer_retry_attempts, 3u);
  EXPECT_EQ(config->node.peer_retry_initial_seconds, 1u);
  EXPECT_EQ(config->node.peer_retry_max_seconds, 8u);
  text = Replace(kBase, "rest_listen = \"127.0.0.1:7480\"\n",
                 "rest_listen = \"127.0.0.1:7480\"\npeer_retry_initial_seconds = 60\n"
                 "peer_retry_max_seconds = 30\n");
  config = ParseConfig(text, "liaison.toml", "/srv/node");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()),
              ::testing::StartsWith("liaison.toml:6: node.peer_retry_max_seconds: must be at least"));
  text = Replace(kBase, "rest_listen = \"127.0.0.1:7480\"\n",
                 "rest_listen = \"127.0.0.1:7480\"\npeer_retry_attempts = 0\n");
  EXPECT_EQ(ParseConfig(text, "liaison.toml", "/srv/node").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ConfigTest, CsvAndJsonlDatasetsTakeColumnFieldAndType) {
  std::string text = kBase +
                     "[datasets.acc]\nfile = \"/data/acc.csv\"\ncolumn = \"iban\"\n"
                     "type = \"string\"\ntlp = \"TLP:AMBER+STRICT\"\n"
                     "[datasets.ev]\nfile = \"ev.log\"\nformat = \"jsonl\"\nfield = \"ip\"\n"
                     "type = \"ipv4\"\ntlp = \"clear\"\n";
  auto config = ParseConfig(text, "liaison.toml", "/srv/node");
  ASSERT_TRUE(config.ok()) << config.status();
  const DatasetConfig& acc = config->datasets.at("acc");
  EXPECT_EQ(acc.format, data::Format::kCsv);
  EXPECT_EQ(acc.column, "iban");
  EXPECT_EQ(acc.resolved_path, "/data/acc.csv");
  EXPECT_EQ(acc.type, data::ItemType::kString);
  EXPECT_EQ(acc.tlp, Tlp::kAmberStrict);
  const DatasetConfig& ev = config->datasets.at("ev");
  EXPECT_EQ(ev.format, data::Format::kJsonLines);
  EXPECT_EQ(ev.field, "ip");
  EXPECT_EQ(ev.type, data::ItemType::kIpv4);
}

TEST(ConfigTest, ValueColumnFieldAndItemBudgetKeysParse) {
  std::string text = Replace(kBase, "jobs_per_hour_per_peer = 5",
                             "jobs_per_hour_per_peer = 5\nmax_peer_items_per_day = 500\n"
                             "max_revealed_items_per_day = 50") +
                     "[datasets.acc]\nfile = \"acc.csv\"\ncolumn = \"iban\"\n"
                     "value_column = \"amount\"\ntlp = \"amber\"\n"
                     "[datasets.ev]\nfile = \"ev.jsonl\"\nfield = \"ip\"\n"
                     "value_field = \"bytes\"\ntlp = \"amber\"\n";
  auto config = ParseConfig(text, "liaison.toml", "/srv/node");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->datasets.at("acc").value_column, "amount");
  EXPECT_EQ(config->datasets.at("ev").value_field, "bytes");
  EXPECT_TRUE(config->datasets.at("ind").value_column.empty());
  EXPECT_EQ(config->alliances.at("fin").max_peer_items_per_day, 500u);
  EXPECT_EQ(config->alliances.at("fin").max_revealed_items_per_day, 50u);
}

TEST(ConfigTest, RequireBuildIsCanonicalised) {
  const std::string build = "sha256:" + std::string(64, 'c');
  std::string text = Replace(kBase, "jobs_per_hour_per_peer = 5",
                             "jobs_per_hour_per_peer = 5\nrequire_build = [\"SHA256:" +
                                 std::string(64, 'C') + "\", \"" + "sha256:" +
                                 std::string(64, 'd') + "\"]");
  auto config = ParseConfig(text, "liaison.toml", "/srv/node");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->alliances.at("fin").require_build,
              ::testing::ElementsAre(build, "sha256:" + std::string(64, 'd')));
  // Without the key, any build.
  auto plain = ParseConfig(kBase, "liaison.toml", "/srv/node");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE(plain->alliances.at("fin").require_build.empty());
}

TEST(ConfigTest, DatasetGlobalBudgetKeysParse) {
  std::string text = Replace(kBase, "tlp = \"amber\"",
                             "tlp = \"amber\"\ndp_global_epsilon = \"5.0\"\n"
                             "dp_global_delta = \"0.00001\"\nglobal_max_peer_items_per_day = 500\n"
                             "global_max_revealed_items_per_day = 50");
  auto config = ParseConfig(text, "liaison.toml", "/srv/node");
  ASSERT_TRUE(config.ok()) << config.status();
  const DatasetConfig& ds = config->datasets.at("ind");
  ASSERT_TRUE(ds.dp_global.has_value());
  EXPECT_EQ(ds.dp_global->epsilon, "5.0");
  EXPECT_EQ(ds.dp_global->delta, "0.00001");
  EXPECT_EQ(ds.global_max_peer_items_per_day, 500u);
  EXPECT_EQ(ds.global_max_revealed_items_per_day, 50u);
  config = ParseConfig(kBase, "liaison.toml", "/srv/node");
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->datasets.at("ind").dp_global.has_value());
  EXPECT_EQ(config->datasets.at("ind").global_max_peer_items_per_day, 0u);
}

const std::string kDp = "[alliances.fin.dp]\nepsilon = \"1.0\"\ndelta = \"0.001\"\n";

TEST(ConfigTest, SecurityKeyParsesAndIsUnsetByDefault) {
  auto config = ParseConfig(kBase, "liaison.toml", "/srv/node");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->alliances.at("fin").security.has_value());
  for (auto [text, want] : {std::pair<const char*, session::Security>{
                                "semi-honest", session::Security::kSemiHonest},
                            {"malicious", session::Security::kMalicious}}) {
    config = ParseConfig(Replace(kBase, "approval = \"auto\"",
                                 std::string("approval = \"auto\"\nsecurity = \"") + text + "\""),
                         "liaison.toml", "/srv/node");
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->alliances.at("fin").security, want) << text;
  }
}

TEST(ConfigTest, ScheduleOfAJobWithoutTheMaliciousVariantItsAllianceAsksForIsAnError) {
  std::string text = Replace(kBase, "approval = \"auto\"",
                             "approval = \"auto\"\nsecurity = \"malicious\"");
  text = Replace(text, "protocols = [\"rr22\"]", "protocols = [\"rr22\", \"ecdh\"]");
  text += "[schedules.c]\nalliance = \"fin\"\npeer = \"bravo\"\ndataset = \"ind\"\n"
          "question = \"match\"\nprotocol = \"ecdh\"\nevery = \"1d\"\n";
  auto config = ParseConfig(text, "liaison.toml", "/srv/node");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("schedules.c.question: alliance fin asks for malicious security, and "
                        "match on ecdh has no malicious-secure variant"));
  // A match on rr22 has one.
  text = Replace(text, "protocol = \"ecdh\"\nevery", "protocol = \"rr22\"\nevery");
  config = ParseConfig(text, "liaison.toml", "/srv/node");
  EXPECT_TRUE(config.ok()) << config.status();
}

struct ErrorCase {
  const char* name;
  std::string from;
  std::string to;
  std::string expected;  // "liaison.toml:<line>: <key>: <start of the message>"
};

class ConfigErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrorTest, ErrorNamesFileLineAndKey) {
  const ErrorCase& c = GetParam();
  std::string text = c.from.empty() ? kBase + c.to : Replace(kBase, c.from, c.to);
  auto config = ParseConfig(text, "liaison.toml", "/srv/node");
  ASSERT_FALSE(config.ok()) << c.name;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()), ::testing::StartsWith(c.expected));
}

INSTANTIATE_TEST_SUITE_P(
    EveryErrorClass, ConfigErrorTest,
    ::testing::Values(
        ErrorCase{"SyntaxError", "name = \"alpha\"", "name = \"alpha",
                  "liaison.toml:2: not valid TOML"},
        ErrorCase{"MissingNodeTable", "[node]\nname = \"alpha\"\npeer_listen = \"0.0.0.0:7400\"\n"
                  "rest_listen = \"127.0.0.1:7480\"\n", "\n\n\n\n",
                  "liaison.toml:1: node: missing"},
        ErrorCase{"MissingRequiredKey", "name = \"alpha\"", "", "liaison.toml:1: node.name: missing"},
        ErrorCase{"WrongType", "name = \"alpha\"", "name = 7",
                  "liaison.toml:2: node.name: must be a string, not an integer"},
        ErrorCase{"BadNodeName", "name = \"alpha\"", "name = \"al pha\"",
                  "liaison.toml:2: node.name: not a valid name"},
        ErrorCase{"BadAddress", "peer_listen = \"0.0.0.0:7400\"", "peer_listen = \"0.0.0.0\"",
                  "liaison.toml:3: node.peer_listen: not a host:port address"},
        ErrorCase{"PortZero", "rest_listen = \"127.0.0.1:7480\"", "rest_listen = \"127.0.0.1:0\"",
                  "liaison.toml:4: node.rest_listen: not a host:port address"},
        ErrorCase{"UnknownTopLevelTable", "", "[peer.charlie]\naddress = \"c:1\"\n",
                  "liaison.toml:24: peer: unknown key"},
        ErrorCase{"UnknownKeyIsATypo", "fingerprint = \"sha256:" + kFp + "\"\n\n",
                  "fingerprint = \"sha256:" + kFp + "\"\nadress = \"x:1\"\n",
                  "liaison.toml:9: peers.bravo.adress: unknown key"},
        ErrorCase{"BadFingerprint", "fingerprint = \"sha256:" + kFp + "\"",
                  "fingerprint = \"sha256:1234\"",
                  "liaison.toml:8: peers.bravo.fingerprint: not a sha256 fingerprint"},
        ErrorCase{"DuplicateFingerprint", "",
                  "[peers.charlie]\naddress = \"c.example:1\"\nfingerprint = \"" + kFp + "\"\n",
                  "liaison.toml:26: peers.charlie.fingerprint: the same key as peer \"bravo\""},
        ErrorCase{"BadPeerName", "[peers.bravo]", "[peers.\"bra vo\"]",
                  "liaison.toml:6: peers.bra vo: not a valid name"},
        ErrorCase{"BadFormat", "file = \"ind.txt\"", "file = \"ind.txt\"\nformat = \"xml\"",
                  "liaison.toml:12: datasets.ind.format: \"xml\" is not a format"},
        ErrorCase{"BadItemType", "tlp = \"amber\"", "tlp = \"amber\"\ntype = \"ipv5\"",
                  "liaison.toml:13: datasets.ind.type: "},
        ErrorCase{"BadTlp", "tlp = \"amber\"", "tlp = \"orange\"",
                  "liaison.toml:12: datasets.ind.tlp: \"orange\" is not a TLP 2.0 marking"},
        ErrorCase{"MissingTlp", "tlp = \"amber\"", "",
                  "liaison.toml:10: datasets.ind.tlp: missing"},
        ErrorCase{"JsonlWithoutField", "file = \"ind.txt\"", "file = \"ind.jsonl\"",
                  "liaison.toml:10: datasets.ind.field: missing (required for a jsonl"},
        ErrorCase{"ColumnOnText", "tlp = \"amber\"", "tlp = \"amber\"\ncolumn = \"x\"",
                  "liaison.toml:13: datasets.ind.column: only a csv dataset has columns"},
        ErrorCase{"ValueColumnOnText", "tlp = \"amber\"", "tlp = \"amber\"\nvalue_column = \"x\"",
                  "liaison.toml:13: datasets.ind.value_column: only a csv dataset has columns"},
        ErrorCase{"ValueFieldOnText", "tlp = \"amber\"", "tlp = \"amber\"\nvalue_field = \"x\"",
                  "liaison.toml:13: datasets.ind.value_field: only a jsonl dataset has fields"},
        ErrorCase{"ValueFieldIsTheItemField", "file = \"ind.txt\"",
                  "file = \"ind.jsonl\"\nfield = \"ip\"\nvalue_field = \"ip\"",
                  "liaison.toml:13: datasets.ind.value_field: must name a field other than"},
        ErrorCase{"GlobalEpsilonWithoutDelta", "tlp = \"amber\"",
                  "tlp = \"amber\"\ndp_global_epsilon = \"1\"",
                  "liaison.toml:10: datasets.ind.dp_global_delta: missing"},
        ErrorCase{"GlobalEpsilonAsFloat", "tlp = \"amber\"",
                  "tlp = \"amber\"\ndp_global_epsilon = 1.0\ndp_global_delta = \"0\"",
                  "liaison.toml:13: datasets.ind.dp_global_epsilon: must be a quoted decimal"},
        ErrorCase{"ZeroGlobalItemBudget", "tlp = \"amber\"",
                  "tlp = \"amber\"\nglobal_max_peer_items_per_day = 0",
                  "liaison.toml:13: datasets.ind.global_max_peer_items_per_day: must be at least 1"},
        ErrorCase{"ZeroItemBudget", "jobs_per_hour_per_peer = 5",
                  "jobs_per_hour_per_peer = 5\nmax_revealed_items_per_day = 0",
                  "liaison.toml:20: alliances.fin.max_revealed_items_per_day: must be at least 1"},
        ErrorCase{"RequireBuildNotADigest", "jobs_per_hour_per_peer = 5",
                  "jobs_per_hour_per_peer = 5\nrequire_build = [\"0.1.0\"]",
                  "liaison.toml:20: alliances.fin.require_build: \"0.1.0\" is not a build digest"},
        ErrorCase{"RequireBuildEmpty", "jobs_per_hour_per_peer = 5",
                  "jobs_per_hour_per_peer = 5\nrequire_build = []",
                  "liaison.toml:14: alliances.fin.require_build: must list at least one build"},
        ErrorCase{"RequireBuildTwice", "jobs_per_hour_per_peer = 5",
                  "jobs_per_hour_per_peer = 5\nrequire_build = [\"sha256:" + std::string(64, 'e') +
                      "\", \"sha256:" + std::string(64, 'E') + "\"]",
                  "liaison.toml:20: alliances.fin.require_build: \"sha256:" + std::string(64, 'E') +
                      "\" is listed twice"},
        ErrorCase{"MemberIsNotAPeer", "members = [\"bravo\"]", "members = [\"bravo\", \"zulu\"]",
                  "liaison.toml:15: alliances.fin.members: \"zulu\" is not a peer"},
        ErrorCase{"BadQuestion", "questions = [\"match\"]", "questions = [\"match\", \"guess\"]",
                  "liaison.toml:16: alliances.fin.questions: \"guess\" is not a question"},
        ErrorCase{"BadProtocol", "protocols = [\"rr22\"]", "protocols = [\"kkrt\"]",
                  "liaison.toml:17: alliances.fin.protocols: \"kkrt\" is not a protocol"},
        ErrorCase{"MaxBelowMin", "max_set_size = 1000", "min_set_size = 5000\nmax_set_size = 1000",
                  "liaison.toml:19: alliances.fin.max_set_size: must be at least min_set_size"},
        ErrorCase{"NegativeSize", "max_set_size = 1000", "max_set_size = -1",
                  "liaison.toml:18: alliances.fin.max_set_size: must be between 0 and"},
        ErrorCase{"ZeroRateLimit", "jobs_per_hour_per_peer = 5", "jobs_per_hour_per_peer = 0",
                  "liaison.toml:19: alliances.fin.jobs_per_hour_per_peer: must be at least 1"},
        ErrorCase{"BadApproval", "approval = \"auto\"", "approval = \"sometimes\"",
                  "liaison.toml:20: alliances.fin.approval: \"sometimes\" is neither"},
        ErrorCase{"BadSecurity", "approval = \"auto\"", "approval = \"auto\"\nsecurity = \"paranoid\"",
                  "liaison.toml:21: alliances.fin.security: \"paranoid\" is neither \"malicious\" "
                  "nor \"semi-honest\""},
        ErrorCase{"DatasetIsNotADataset", "bravo = [\"ind\"]", "bravo = [\"ind\", \"nope\"]",
                  "liaison.toml:23: alliances.fin.datasets.bravo: \"nope\" is not a dataset"},
        ErrorCase{"DatasetAboveTlpCeiling", "tlp = \"amber\"", "tlp = \"red\"",
                  "liaison.toml:23: alliances.fin.datasets.bravo: dataset \"ind\" is TLP:RED, "
                  "above the alliance's ceiling TLP:AMBER"},
        ErrorCase{"DatasetsForANonMember", "bravo = [\"ind\"]", "bravo = [\"ind\"]\ncharlie = [\"ind\"]",
                  "liaison.toml:24: alliances.fin.datasets.charlie: \"charlie\" is not a member"},
        ErrorCase{"CountWithoutDpBudget", "questions = [\"match\"]", "questions = [\"count\"]",
                  "liaison.toml:14: alliances.fin.dp: missing"},
        ErrorCase{"DpEpsilonAsFloat", "", "[alliances.fin.dp]\nepsilon = 1.0\ndelta = \"0.001\"\n",
                  "liaison.toml:25: alliances.fin.dp.epsilon: must be a quoted decimal string"},
        ErrorCase{"DpEpsilonNotDecimal", "", "[alliances.fin.dp]\nepsilon = \"1e-3\"\ndelta = \"0.001\"\n",
                  "liaison.toml:25: alliances.fin.dp.epsilon: \"1e-3\" is not a non-negative decimal"},
        ErrorCase{"DpUnknownKey", "", kDp + "budget = \"3\"\n",
                  "liaison.toml:27: alliances.fin.dp.budget: unknown key"}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

TEST(ConfigTest, QuorumPolicyHasDefaultsAndBounds) {
  const std::string quorum = Replace(kBase, "questions = [\"match\"]",
                                     "questions = [\"match\", \"quorum\"]");
  auto config = ParseConfig(quorum, "liaison.toml", "");
  ASSERT_TRUE(config.ok()) << config.status();
  const AllianceConfig& a = config->alliances.at("fin");
  ASSERT_TRUE(a.quorum.has_value());
  EXPECT_EQ(a.quorum->min_members, 3u);
  EXPECT_EQ(a.quorum->max_members, 16u);
  EXPECT_EQ(a.quorum->min_threshold, 2u);
  EXPECT_EQ(a.quorum->hide_count, HideCount::kAllowed);
  config = ParseConfig(quorum + "[alliances.fin.quorum]\nmin_members = 4\nmax_members = 6\n"
                                "min_threshold = 3\nhide_count = \"required\"\n",
                       "liaison.toml", "");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->alliances.at("fin").quorum->max_members, 6u);
  EXPECT_EQ(config->alliances.at("fin").quorum->hide_count, HideCount::kRequired);
  // Without the question there is no quorum policy, and a table is an error.
  config = ParseConfig(kBase, "liaison.toml", "");
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->alliances.at("fin").quorum.has_value());
  struct Case {
    std::string text, expected;
  };
  const Case cases[] = {
      {kBase + "[alliances.fin.quorum]\nmin_members = 3\n",
       "liaison.toml:24: alliances.fin.quorum: the alliance does not allow the question"},
      {quorum + "[alliances.fin.quorum]\nmin_members = 2\n",
       "liaison.toml:25: alliances.fin.quorum.min_members: must be at least 3"},
      {quorum + "[alliances.fin.quorum]\nmin_members = 5\nmax_members = 4\n",
       "liaison.toml:26: alliances.fin.quorum.max_members: must be at least min_members (5)"},
      {quorum + "[alliances.fin.quorum]\nmax_members = 17\n",
       "liaison.toml:25: alliances.fin.quorum.max_members: must be between 0 and 16"},
      {quorum + "[alliances.fin.quorum]\nmin_threshold = 1\n",
       "liaison.toml:25: alliances.fin.quorum.min_threshold: must be at least 2"},
      {quorum + "[alliances.fin.quorum]\nhide_count = \"sometimes\"\n",
       "liaison.toml:25: alliances.fin.quorum.hide_count: \"sometimes\" is neither"},
      {quorum + "[alliances.fin.quorum]\nreveal = \"all\"\n",
       "liaison.toml:25: alliances.fin.quorum.reveal: unknown key"},
  };
  for (const Case& c : cases) {
    auto bad = ParseConfig(c.text, "liaison.toml", "");
    ASSERT_FALSE(bad.ok()) << c.expected;
    EXPECT_THAT(std::string(bad.status().message()), ::testing::StartsWith(c.expected));
  }
}

TEST(ConfigTest, QuorumSchedulesAreCheckedLikeSubmissions) {
  // Three members: alpha (us), bravo and charlie.
  std::string text = Replace(kBase, "questions = [\"match\"]", "questions = [\"quorum\"]");
  text = Replace(text, "members = [\"bravo\"]", "members = [\"bravo\", \"charlie\"]");
  text = Replace(text, "[datasets.ind]",
                 "[peers.charlie]\naddress = \"charlie.example:7400\"\nfingerprint = \"sha256:" +
                     std::string(64, 'c') + "\"\n[datasets.ind]");
  text += "charlie = [\"ind\"]\n";
  const std::string schedule =
      "[schedules.ring]\nalliance = \"fin\"\nquestion = \"quorum\"\ndataset = \"ind\"\n"
      "every = \"1h\"\n";
  auto config = ParseConfig(text + schedule +
                                "participants = [\"bravo\", \"alpha\", \"charlie\"]\n"
                                "threshold = 2\nhide_count = true\n",
                            "liaison.toml", "");
  ASSERT_TRUE(config.ok()) << config.status();
  const JobTemplate& job = config->schedules.at("ring").job;
  EXPECT_EQ(job.question, Question::kQuorum);
  EXPECT_EQ(job.participants, (std::vector<std::string>{"bravo", "alpha", "charlie"}));
  EXPECT_EQ(job.threshold, 2u);
  EXPECT_TRUE(job.hide_count);
  struct Case {
    std::string keys, expected;
  };
  const Case cases[] = {
      {"participants = [\"bravo\", \"charlie\"]\nthreshold = 2\n",
       "participants: must include this node (\"alpha\")"},
      {"participants = [\"bravo\", \"alpha\", \"zulu\"]\nthreshold = 2\n",
       "participants: \"zulu\" is neither a peer nor this node's name"},
      {"participants = [\"bravo\", \"alpha\", \"charlie\"]\n",
       "threshold: missing (required)"},
      {"participants = [\"bravo\", \"alpha\", \"charlie\"]\nthreshold = 4\n",
       "schedules.ring: alliance fin admits thresholds from 2"},
      {"participants = [\"bravo\", \"alpha\", \"charlie\"]\nthreshold = 2\npeer = \"bravo\"\n",
       "schedules.ring.peer: a quorum job names its participants"},
  };
  for (const Case& c : cases) {
    auto bad = ParseConfig(text + schedule + c.keys, "liaison.toml", "");
    ASSERT_FALSE(bad.ok()) << c.expected;
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr(c.expected));
  }
  // The quorum keys belong to quorum jobs only.
  auto bad = ParseConfig(
      kBase + "[schedules.m]\nalliance = \"fin\"\npeer = \"bravo\"\ndataset = \"ind\"\n"
              "question = \"match\"\nprotocol = \"rr22\"\nevery = \"1h\"\nthreshold = 2\n",
      "liaison.toml", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("only quorum jobs take this key"));
}

TEST(ConfigTest, SeveralErrorsAreAllReportedInFileOrder) {
  std::string text = Replace(kBase, "name = \"alpha\"", "name = 7");
  text = Replace(text, "approval = \"auto\"", "approval = \"never\"");
  auto config = ParseConfig(text, "liaison.toml", "");
  ASSERT_FALSE(config.ok());
  const std::string message(config.status().message());
  EXPECT_THAT(message, ::testing::StartsWith("liaison.toml:2: node.name:"));
  EXPECT_THAT(message, HasSubstr("\nliaison.toml:"));
  EXPECT_THAT(message, HasSubstr("approval"));
}

TEST(ConfigTest, AMisspeltKeyIsReportedFirstWithTheKeyItResembles) {
  // Before, the consequence ("jobs_per_hour_per_peer: missing") came first
  // and the cause was "and 1 more error".
  const std::string text =
      Replace(kBase, "jobs_per_hour_per_peer", "jobs_per_hour_per_pear");
  auto config = ParseConfig(text, "liaison.toml", "");
  ASSERT_FALSE(config.ok());
  const std::string message(config.status().message());
  EXPECT_THAT(message, HasSubstr("jobs_per_hour_per_pear: unknown key (did you mean "
                                 "\"jobs_per_hour_per_peer\"?"));
  EXPECT_LT(message.find("unknown key"), message.find("missing")) << message;
}

TEST(ConfigTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadConfig("/nonexistent-liaison-dir/liaison.toml").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ConfigTest, TemplateLoadsAsWritten) {
  auto config = ParseConfig(ConfigTemplate("alpha"), "liaison.toml", "/srv/node");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->node.name, "alpha");
  EXPECT_TRUE(config->peers.empty());
  EXPECT_TRUE(config->alliances.empty());
}

TEST(ConfigTest, TemplateExamplesAreValidWhenUncommented) {
  // Example lines are "#key = value" or "#[table]": no space after '#'.
  std::istringstream in(ConfigTemplate("alpha"));
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.size() > 1 && line[0] == '#' && line[1] != ' ' && line[1] != '#') line.erase(0, 1);
    out += line + "\n";
  }
  auto config = ParseConfig(out, "liaison.toml", "/srv/node");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->peers.size(), 1u);
  EXPECT_EQ(config->datasets.size(), 2u);
  ASSERT_EQ(config->alliances.size(), 1u);
  EXPECT_TRUE(config->alliances.begin()->second.dp.has_value());
  ASSERT_EQ(config->schedules.size(), 2u);
  const JobTemplate& count = config->schedules.at("weekly-count").job;
  EXPECT_EQ(count.question, Question::kCount);
  EXPECT_EQ(count.dp.epsilon, "0.1");
  EXPECT_EQ(config->webhooks.size(), 1u);
}

TEST(ConfigTest, TlpOrderAndNames) {
  EXPECT_LT(Tlp::kClear, Tlp::kGreen);
  EXPECT_LT(Tlp::kAmber, Tlp::kAmberStrict);
  EXPECT_LT(Tlp::kAmberStrict, Tlp::kRed);
  EXPECT_EQ(*ParseTlp("TLP:CLEAR"), Tlp::kClear);
  EXPECT_EQ(*ParseTlp("amber+strict"), Tlp::kAmberStrict);
  EXPECT_EQ(ParseTlp("white").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace liaison::node
