#include "node/schedule.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/config.h"
#include "node/testing/fake_clock.h"
#include "node/testing/node_fixture.h"
#include "node/testing/raw_db.h"
#include "node/webhook.h"

namespace liaison::node {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using testing::FakeClock;
using testing::NodeFixture;
using testing::RawDb;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// kJan31 is 2025-01-31T00:00:00Z.
constexpr int64_t kJan31 = 1738281600;
constexpr int64_t kHour = 3600;

std::string At(int64_t t) { return Rfc3339Seconds(t); }

// --- recurrence arithmetic ---

TEST(RecurrenceTest, EveryAcceptsPeriodsThatDivideADayOrAreWholeDays) {
  EXPECT_EQ(*ParseEvery("15m"), 900);
  EXPECT_EQ(*ParseEvery("90m"), 5400);
  EXPECT_EQ(*ParseEvery("6h"), 6 * kHour);
  EXPECT_EQ(*ParseEvery("24h"), 86400);
  EXPECT_EQ(*ParseEvery("1d"), 86400);
  EXPECT_EQ(*ParseEvery("48h"), 2 * 86400);
  EXPECT_EQ(*ParseEvery("7d"), 7 * 86400);
  for (const char* bad : {"", "15", "m", "0m", "7m", "5h", "25h", "1.5h", "15 m", " 15m", "15M",
                          "-15m", "400d", "99999999m"}) {
    absl::StatusOr<int64_t> got = ParseEvery(bad);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_THAT(std::string(ParseEvery("7m").status().message()), HasSubstr("drift"));
}

TEST(RecurrenceTest, EveryAcceptsSecondsThatDivideADay) {
  EXPECT_EQ(*ParseEvery("2s"), 2);
  EXPECT_EQ(*ParseEvery("30s"), 30);
  EXPECT_EQ(*ParseEvery("3600s"), kHour);
  for (const char* bad : {"0s", "7s", "1.5s", "s", "2S"}) {
    EXPECT_EQ(ParseEvery(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(RecurrenceText(Recurrence{2, 0}), "every 2s");
  EXPECT_EQ(RecurrenceText(Recurrence{90, 0}), "every 90s");
  EXPECT_EQ(RecurrenceText(Recurrence{120, 0}), "every 2m");
}

TEST(RecurrenceTest, TimeOfDayIsTwoDigitHoursAndMinutes) {
  EXPECT_EQ(*ParseTimeOfDay("00:00"), 0);
  EXPECT_EQ(*ParseTimeOfDay("02:00"), 2 * kHour);
  EXPECT_EQ(*ParseTimeOfDay("23:59"), 23 * kHour + 59 * 60);
  for (const char* bad : {"2:00", "24:00", "12:60", "02-00", "02:00:00", "0200", "aa:bb", ""}) {
    EXPECT_EQ(ParseTimeOfDay(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(RecurrenceTest, Every15MinutesFallsOnQuarterHours) {
  const Recurrence r{900, 0};
  const int64_t t = kJan31 + 10 * kHour + 7 * 60 + 30;  // 10:07:30
  EXPECT_EQ(At(NextFireAfter(r, t)), "2025-01-31T10:15:00Z");
  EXPECT_EQ(At(LatestFireAtOrBefore(r, t)), "2025-01-31T10:00:00Z");
  // A fire time is "at or before" itself, and "after" means strictly after.
  const int64_t quarter = kJan31 + 10 * kHour + 15 * 60;
  EXPECT_EQ(LatestFireAtOrBefore(r, quarter), quarter);
  EXPECT_EQ(At(NextFireAfter(r, quarter)), "2025-01-31T10:30:00Z");
  EXPECT_EQ(NumFiresBetween(r, kJan31, kJan31 + 2 * kHour), 8);
  EXPECT_EQ(NumFiresBetween(r, kJan31 + 1, kJan31 + 899), 0);
  EXPECT_EQ(NumFiresBetween(r, kJan31 + 5, kJan31), 0);
  EXPECT_EQ(RecurrenceText(r), "every 15m");
}

TEST(RecurrenceTest, DailyAt0200CrossesDayMonthAndLeapDayBoundaries) {
  const Recurrence r{86400, 2 * kHour};
  EXPECT_EQ(At(NextFireAfter(r, kJan31 + 23 * kHour)), "2025-02-01T02:00:00Z");
  EXPECT_EQ(At(NextFireAfter(r, kJan31 + 2 * kHour - 1)), "2025-01-31T02:00:00Z");
  EXPECT_EQ(At(NextFireAfter(r, kJan31 + 2 * kHour)), "2025-02-01T02:00:00Z");
  EXPECT_EQ(At(LatestFireAtOrBefore(r, kJan31 + kHour)), "2025-01-30T02:00:00Z");
  // 2024 is a leap year: Feb 29 is an ordinary day of 86400 seconds in UTC.
  const int64_t feb28_2024_3am = 1709089200;
  ASSERT_EQ(At(feb28_2024_3am), "2024-02-28T03:00:00Z");
  int64_t next = NextFireAfter(r, feb28_2024_3am);
  EXPECT_EQ(At(next), "2024-02-29T02:00:00Z");
  EXPECT_EQ(At(NextFireAfter(r, next)), "2024-03-01T02:00:00Z");
  EXPECT_EQ(NumFiresBetween(r, kJan31, kJan31 + 3 * 86400), 3);
  EXPECT_EQ(RecurrenceText(r), "daily at 02:00");
  EXPECT_EQ(RecurrenceText(Recurrence{7 * 86400, 6 * kHour + 30 * 60}), "every 7d at 06:30");
  EXPECT_EQ(RecurrenceText(Recurrence{6 * kHour, 0}), "every 6h");
}

TEST(RecurrenceTest, IdempotencyKeyNamesScheduleAndFireTime) {
  EXPECT_EQ(ScheduleIdempotencyKey("nightly", kJan31 + 2 * kHour),
            "schedule:nightly:2025-01-31T02:00:00Z");
}

// --- the [schedules.<name>] config section ---

const std::string kFp(64, 'a');
// kHead is the [node] table and peer bravo: 7 lines.
const std::string kHead =
    "[node]\nname = \"alpha\"\npeer_listen = \"0.0.0.0:7400\"\n"
    "rest_listen = \"127.0.0.1:7480\"\n"                                   // 4
    "[peers.bravo]\naddress = \"bravo.example:7400\"\n"                    // 6
    "fingerprint = \"sha256:" + kFp + "\"\n";                              // 7
// kBase is a valid config without schedules: 20 lines.
const std::string kBase =
    kHead +
    "[datasets.ind]\nfile = \"ind.txt\"\ntlp = \"amber\"\n"                // 10
    "[alliances.fin]\nmembers = [\"bravo\"]\nquestions = [\"match\"]\n"    // 13
    "protocols = [\"rr22\"]\nmax_set_size = 1000\n"                       // 15
    "jobs_per_hour_per_peer = 5\napproval = \"auto\"\n"                    // 17
    "tlp_ceiling = \"amber\"\n[alliances.fin.datasets]\nbravo = [\"ind\"]\n";  // 20

// kNightly starts on line 21.
const std::string kNightly =
    "[schedules.nightly]\n"     // 21
    "alliance = \"fin\"\n"      // 22
    "peer = \"bravo\"\n"        // 23
    "dataset = \"ind\"\n"       // 24
    "question = \"match\"\n"    // 25
    "protocol = \"rr22\"\n";    // 26

absl::StatusOr<Config> Parse(const std::string& extra) {
  return ParseConfig(kBase + extra, "liaison.toml", "/srv/alpha");
}

// ExpectConfigError checks that `config`, parsed from a text ending in
// `extra`, failed with InvalidArgument and a message starting with `want`.
void ExpectConfigError(const absl::StatusOr<Config>& config, const std::string& want,
                       const std::string& extra) {
  ASSERT_FALSE(config.ok()) << extra;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << extra;
  EXPECT_THAT(std::string(config.status().message()), StartsWith(want)) << extra;
}

TEST(ScheduleConfigTest, SectionParsesIntoTemplateAndRecurrence) {
  auto config = Parse(kNightly + "daily = \"02:00\"\nresult_to = \"me\"\ncatch_up = \"latest\"\n" +
                      "[schedules.quarter]\nalliance = \"fin\"\npeer = \"bravo\"\n"
                      "dataset = \"ind\"\nquestion = \"match\"\nprotocol = \"rr22\"\n"
                      "every = \"15m\"\n" +
                      "[schedules.weekly]\nalliance = \"fin\"\npeer = \"bravo\"\n"
                      "dataset = \"ind\"\nquestion = \"match\"\nprotocol = \"rr22\"\n"
                      "every = \"7d\"\nat = \"06:30\"\n");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->schedules.size(), 3u);
  const ScheduleConfig& n = config->schedules.at("nightly");
  EXPECT_EQ(n.name, "nightly");
  EXPECT_EQ(n.job.alliance, "fin");
  EXPECT_EQ(n.job.peer, "bravo");
  EXPECT_EQ(n.job.dataset, "ind");
  EXPECT_EQ(n.job.question, Question::kMatch);
  EXPECT_EQ(n.job.protocol, "rr22");
  EXPECT_EQ(n.job.result_to, "me");
  EXPECT_EQ(n.recurrence.period_s, 86400);
  EXPECT_EQ(n.recurrence.offset_s, 2 * kHour);
  EXPECT_EQ(n.catch_up, CatchUp::kLatest);
  const ScheduleConfig& q = config->schedules.at("quarter");
  EXPECT_EQ(q.recurrence.period_s, 900);
  EXPECT_EQ(q.recurrence.offset_s, 0);
  EXPECT_EQ(q.catch_up, CatchUp::kNone);
  EXPECT_EQ(q.job.result_to, "me") << "the default, as in a POST /v1/jobs body";
  EXPECT_EQ(RecurrenceText(config->schedules.at("weekly").recurrence), "every 7d at 06:30");
}

TEST(ScheduleConfigTest, ErrorsNameTheLineAndKey) {
  struct Case {
    std::string extra;
    std::string want;
  };
  const std::vector<Case> cases = {
      {kNightly + "every = \"7m\"\n", "liaison.toml:27: schedules.nightly.every: \"7m\" neither"},
      {kNightly + "every = \"6h\"\nat = \"02:00\"\n",
       "liaison.toml:28: schedules.nightly.at: at needs every to be a whole number of days"},
      {kNightly + "every = \"24h\"\nat = \"2am\"\n",
       "liaison.toml:28: schedules.nightly.at: \"2am\" is not a time of day"},
      {kNightly + "every = \"24h\"\ndaily = \"02:00\"\n",
       "liaison.toml:28: schedules.nightly.daily: give either every"},
      {kNightly, "liaison.toml:21: schedules.nightly.every: missing"},
      {kNightly + "daily = \"25:00\"\n", "liaison.toml:27: schedules.nightly.daily:"},
      {kNightly + "daily = \"02:00\"\ncatch_up = \"all\"\n",
       "liaison.toml:28: schedules.nightly.catch_up: \"all\" is neither"},
      {kNightly + "daily = \"02:00\"\nresult_to = \"them\"\n",
       "liaison.toml:28: schedules.nightly.result_to:"},
      {kNightly + "daily = \"02:00\"\nevry = \"15m\"\n",
       "liaison.toml:28: schedules.nightly.evry: unknown key"},
      {"[schedules.x]\nalliance = \"nope\"\npeer = \"bravo\"\ndataset = \"ind\"\n"
       "question = \"match\"\nprotocol = \"rr22\"\ndaily = \"02:00\"\n",
       "liaison.toml:22: schedules.x.alliance: \"nope\" is not an alliance"},
      {"[schedules.x]\nalliance = \"fin\"\npeer = \"charlie\"\ndataset = \"ind\"\n"
       "question = \"match\"\nprotocol = \"rr22\"\ndaily = \"02:00\"\n",
       "liaison.toml:23: schedules.x.peer: \"charlie\" is not a member"},
      {"[schedules.x]\nalliance = \"fin\"\npeer = \"bravo\"\ndataset = \"other\"\n"
       "question = \"match\"\nprotocol = \"rr22\"\ndaily = \"02:00\"\n",
       "liaison.toml:24: schedules.x.dataset: alliance \"fin\" does not allow dataset"},
      {"[schedules.x]\nalliance = \"fin\"\npeer = \"bravo\"\ndataset = \"ind\"\n"
       "question = \"count\"\nprotocol = \"rr22\"\ndaily = \"02:00\"\n",
       "liaison.toml:25: schedules.x.question: alliance \"fin\" does not allow"},
      {"[schedules.x]\nalliance = \"fin\"\npeer = \"bravo\"\ndataset = \"ind\"\n"
       "question = \"match\"\nprotocol = \"ecdh\"\ndaily = \"02:00\"\n",
       "liaison.toml:26: schedules.x.protocol: alliance \"fin\" does not allow"},
  };
  for (const Case& c : cases) ExpectConfigError(Parse(c.extra), c.want, c.extra);
}

// --- count and sum schedules: their DP parameters ---

// kDpBase is a config whose alliance allows count and sum, with a dataset
// that brings values ("amounts"): 25 lines. It needs kDpBudget (3 more).
const std::string kDpBase =
    kHead +
    "[datasets.ind]\nfile = \"ind.txt\"\ntlp = \"amber\"\n"                  // 10
    "[datasets.amounts]\nfile = \"amounts.csv\"\ncolumn = \"ip\"\n"          // 13
    "value_column = \"amount\"\ntlp = \"amber\"\n"                          // 15
    "[alliances.fin]\nmembers = [\"bravo\"]\n"                              // 17
    "questions = [\"match\", \"count\", \"sum\"]\n"                         // 18
    "protocols = [\"rr22\", \"ecdh\"]\nmax_set_size = 1000\n"                // 20
    "jobs_per_hour_per_peer = 5\napproval = \"auto\"\n"                      // 22
    "tlp_ceiling = \"amber\"\n[alliances.fin.datasets]\n"                    // 24
    "bravo = [\"ind\", \"amounts\"]\n";                                      // 25
const std::string kDpBudget = "[alliances.fin.dp]\nepsilon = \"1\"\ndelta = \"0.000001\"\n";

// DpSchedule is [schedules.s] on line 29 asking `question` of `dataset`
// on `protocol` every 2s; `extra` starts on line 35.
std::string DpSchedule(const std::string& question, const std::string& extra,
                       const std::string& dataset = "ind", const std::string& protocol = "rr22") {
  return "[schedules.s]\n"                           // 29
         "alliance = \"fin\"\npeer = \"bravo\"\n"     // 31
         "dataset = \"" + dataset + "\"\n"             // 32
         "question = \"" + question + "\"\n"           // 33
         "protocol = \"" + protocol + "\"\n"           // 34
         "every = \"2s\"\n" +                          // 35 (extra from 36)
         extra;
}

absl::StatusOr<Config> ParseDp(const std::string& schedule,
                               const std::string& budget = kDpBudget) {
  return ParseConfig(kDpBase + budget + schedule, "liaison.toml", "/srv/alpha");
}

TEST(ScheduleConfigTest, CountAndSumSchedulesCarryTheirDpParameters) {
  auto config = ParseDp(DpSchedule("count", "epsilon = \"0.1\"\ndelta = \"1e-7\"\n") +
                        "[schedules.sum-in]\nalliance = \"fin\"\npeer = \"bravo\"\n"
                        "dataset = \"ind\"\nquestion = \"sum\"\nprotocol = \"rr22\"\n"
                        "result_to = \"me\"\nepsilon = \"0.5\"\nbounds = \"-10:100\"\n"
                        "count_epsilon = \"0.25\"\ndaily = \"02:00\"\n"
                        "[schedules.sum-out]\nalliance = \"fin\"\npeer = \"bravo\"\n"
                        "dataset = \"amounts\"\nquestion = \"sum\"\nprotocol = \"rr22\"\n"
                        "result_to = \"peer\"\nepsilon = \"1\"\nbounds = \"0:5000\"\n"
                        "every = \"6h\"\n");
  ASSERT_TRUE(config.ok()) << config.status();
  const JobTemplate& count = config->schedules.at("s").job;
  EXPECT_EQ(count.question, Question::kCount);
  EXPECT_EQ(count.dp.epsilon, "0.1");
  EXPECT_EQ(count.dp.delta, "1e-7");
  EXPECT_EQ(count.dp.bounds, "");
  const JobTemplate& in = config->schedules.at("sum-in").job;
  EXPECT_EQ(in.question, Question::kSum);
  EXPECT_EQ(in.dp.epsilon, "0.5");
  EXPECT_EQ(in.dp.bounds, "-10:100");
  EXPECT_EQ(in.dp.count_epsilon, "0.25");
  EXPECT_EQ(in.dp.delta, "");
  EXPECT_EQ(config->schedules.at("sum-out").job.dp.bounds, "0:5000");
  // A match schedule carries none.
  auto match = ParseDp(DpSchedule("match", ""));
  ASSERT_TRUE(match.ok()) << match.status();
  EXPECT_EQ(match->schedules.at("s").job.dp.epsilon, "");
}

TEST(ScheduleConfigTest, ResultToLeftOutIsMeAsInARestSubmission) {
  auto config = ParseDp(DpSchedule("count", "epsilon = \"0.1\"\n") +
                        "[schedules.m]\nalliance = \"fin\"\npeer = \"bravo\"\n"
                        "dataset = \"ind\"\nquestion = \"match\"\nprotocol = \"rr22\"\n"
                        "every = \"6h\"\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->schedules.at("s").job.result_to, "me");
  EXPECT_EQ(config->schedules.at("m").job.result_to, "me");
  // A sum of our values cannot go to us alone, so it must say "peer".
  ExpectConfigError(ParseDp(DpSchedule("sum", "epsilon = \"1\"\nbounds = \"0:9\"\n", "amounts")),
                    "liaison.toml:29: schedules.s.result_to: dataset amounts brings the values",
                    "sum of our values");
}

TEST(ScheduleConfigTest, DpErrorsNameTheLineAndKey) {
  struct Case {
    std::string schedule;
    std::string want;
  };
  const std::vector<Case> cases = {
      {DpSchedule("count", ""),
       "liaison.toml:29: schedules.s.epsilon: a count or sum job needs epsilon"},
      {DpSchedule("count", "epsilon = 0.1\n"),
       "liaison.toml:36: schedules.s.epsilon: must be a quoted decimal string"},
      {DpSchedule("count", "epsilon = \"0\"\n"),
       "liaison.toml:36: schedules.s.epsilon: \"0\" must be positive"},
      {DpSchedule("count", "epsilon = \"a lot\"\n"),
       "liaison.toml:36: schedules.s.epsilon: \"a lot\" is not a decimal number"},
      {DpSchedule("count", "epsilon = \"0.1\"\ndelta = \"1\"\n"),
       "liaison.toml:37: schedules.s.delta: \"1\" must lie strictly between 0 and 1"},
      {DpSchedule("count", "epsilon = \"0.1\"\ndelta = 0.000001\n"),
       "liaison.toml:37: schedules.s.delta: must be a quoted decimal string"},
      {DpSchedule("count", "epsilon = \"0.1\"\nbounds = \"0:10\"\n"),
       "liaison.toml:37: schedules.s.bounds: bounds, count_epsilon and values are for sum jobs"},
      {DpSchedule("count", "epsilon = \"0.1\"\ncount_epsilon = \"0.1\"\n"),
       "liaison.toml:37: schedules.s.count_epsilon: bounds, count_epsilon and values are for"},
      {DpSchedule("count", "epsilon = \"0.1\"\n", "ind", "ecdh"),
       "liaison.toml:34: schedules.s.protocol: count and sum jobs run on the rr22 protocol only"},
      {DpSchedule("sum", "epsilon = \"0.1\"\n"),
       "liaison.toml:29: schedules.s.bounds: a sum job needs bounds \"LO:HI\""},
      {DpSchedule("sum", "epsilon = \"0.1\"\nbounds = \"ten:20\"\n"),
       "liaison.toml:37: schedules.s.bounds: bounds LO: \"ten\" is not a decimal number"},
      {DpSchedule("sum", "epsilon = \"0.1\"\nbounds = \"20\"\n"),
       "liaison.toml:37: schedules.s.bounds: \"20\" is not LO:HI"},
      {DpSchedule("sum", "epsilon = \"0.1\"\nbounds = \"20:10\"\n"),
       "liaison.toml:37: schedules.s.bounds: sum bounds: lo 20 is above hi 10"},
      {DpSchedule("sum", "epsilon = \"0.1\"\nbounds = 10\n"),
       "liaison.toml:37: schedules.s.bounds: must be a string, not an integer"},
      {DpSchedule("sum", "epsilon = \"0.1\"\nbounds = \"0:10\"\ncount_epsilon = \"-1\"\n"),
       "liaison.toml:38: schedules.s.count_epsilon: \"-1\""},
      {DpSchedule("sum", "epsilon = \"0.1\"\nbounds = \"0:10\"\nresult_to = \"me\"\n",
                  "amounts"),
       "liaison.toml:38: schedules.s.result_to: dataset amounts brings the values of the sum"},
      // The alliance runs counts malicious (its default), which give their
      // result to one side only.
      {DpSchedule("count", "epsilon = \"0.1\"\nresult_to = \"both\"\n"),
       "liaison.toml:37: schedules.s.result_to: a count job that runs malicious gives its result "
       "to one side only"},
      {DpSchedule("match", "epsilon = \"0.1\"\n"),
       "liaison.toml:36: schedules.s.epsilon: epsilon, delta, count_epsilon and bounds are for "
       "count and sum jobs"},
      {DpSchedule("match", "bounds = \"0:10\"\n"),
       "liaison.toml:36: schedules.s.bounds: epsilon, delta, count_epsilon and bounds are for"},
      // The value column is the dataset's, as for a REST job, not the job's.
      {DpSchedule("sum", "epsilon = \"0.1\"\nbounds = \"0:10\"\nvalue_column = \"amount\"\n"),
       "liaison.toml:38: schedules.s.value_column: unknown key"},
  };
  for (const Case& c : cases) {
    auto config = ParseDp(c.schedule);
    ExpectConfigError(config, c.want, c.schedule);
    EXPECT_THAT(std::string(config.status().message()), Not(HasSubstr("\n")))
        << c.schedule;
  }
}

TEST(ScheduleConfigTest, CountScheduleNeedsTheAlliancesDpBudget) {
  // Without [alliances.fin.dp] the alliance itself is wrong (it allows
  // count and sum); the count schedule is a second error of its own.
  auto alone = ParseDp("", "");
  ASSERT_FALSE(alone.ok());
  EXPECT_EQ(std::string(alone.status().message()),
            "liaison.toml:16: alliances.fin.dp: missing: count and sum answers are noised, so "
            "the alliance needs a [alliances.fin.dp] budget (epsilon, delta)");
  auto with_schedule = ParseDp(DpSchedule("count", "epsilon = \"0.1\"\n"), "");
  ASSERT_FALSE(with_schedule.ok());
  EXPECT_THAT(std::string(with_schedule.status().message()),
              AllOf(StartsWith("liaison.toml:16: alliances.fin.dp: missing"),
                    HasSubstr("\nliaison.toml:")));
  // A match schedule in the same alliance adds no error.
  auto match = ParseDp(DpSchedule("match", ""), "");
  ASSERT_FALSE(match.ok());
  EXPECT_THAT(std::string(match.status().message()), Not(HasSubstr("\n")));
}

// --- the scheduler ---

// Submitter stands in for the daemon: it creates the job in the store with
// the scheduler's idempotency key, as the daemon does, and records calls.
class Submitter {
 public:
  explicit Submitter(Store& store) : store_(store) {}

  SubmitJobFn Fn() {
    return [this](const JobTemplate& job, std::string_view key,
                  std::string_view actor) -> absl::StatusOr<std::string> {
      std::lock_guard<std::mutex> lock(mu_);
      keys_.emplace_back(key);
      actors_.emplace_back(actor);
      cv_.notify_all();
      if (!fail_with_.ok()) return fail_with_;
      JobRequest r;
      r.idempotency_key = std::string(key);
      r.alliance = job.alliance;
      r.peer = job.peer;
      r.question = std::string(QuestionName(job.question));
      r.protocol = job.protocol;
      r.params_json = nlohmann::json{{"dataset", job.dataset}, {"result_to", job.result_to}}.dump();
      r.actor = std::string(actor);
      absl::StatusOr<CreateJobResult> created = store_.CreateJob(r);
      if (!created.ok()) return created.status();
      return created->job.id;
    };
  }

  // WaitFor waits (real time, at most 10 s) until `n` calls were made.
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, seconds(10), [&] { return keys_.size() >= n; });
  }

  std::vector<std::string> keys() {
    std::lock_guard<std::mutex> lock(mu_);
    return keys_;
  }
  std::vector<std::string> actors() {
    std::lock_guard<std::mutex> lock(mu_);
    return actors_;
  }
  void FailWith(absl::Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_with_ = std::move(s);
  }

 private:
  Store& store_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> keys_;
  std::vector<std::string> actors_;
  absl::Status fail_with_;
};

ScheduleConfig Schedule(std::string name, Recurrence r, CatchUp catch_up = CatchUp::kNone) {
  ScheduleConfig s;
  s.name = std::move(name);
  s.job.alliance = "fin";
  s.job.peer = "bravo";
  s.job.dataset = "ind";
  s.job.protocol = "rr22";
  s.recurrence = r;
  s.catch_up = catch_up;
  return s;
}

nlohmann::json Params(const AuditRecord& r) { return nlohmann::json::parse(r.params_json); }

class SchedulerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Scheduler> Make(std::vector<ScheduleConfig> schedules, Submitter& submitter,
                                  WebhookDispatcher* webhooks = nullptr) {
    return std::make_unique<Scheduler>(node_.store(), node_.audit(), std::move(schedules),
                                       submitter.Fn(), clock_, webhooks);
  }

  // CaughtUpQuarter returns a scheduler of one schedule "quarter" (every
  // 15 minutes) that has loaded its state, for tests that drive RunDue.
  std::unique_ptr<Scheduler> CaughtUpQuarter(Submitter& submitter) {
    auto scheduler = Make({Schedule("quarter", Recurrence{900, 0})}, submitter);
    EXPECT_TRUE(scheduler->CatchUpAfterDowntime().ok());
    return scheduler;
  }

  // FailNextRun makes the next submission fail with `status`, moves the
  // clock to the next quarter hour, runs what is due and returns the params
  // of the last schedule_missed record (null if there is none).
  nlohmann::json FailNextRun(Submitter& submitter, Scheduler& scheduler, absl::Status status) {
    submitter.FailWith(std::move(status));
    clock_.Advance(minutes(15));
    EXPECT_TRUE(scheduler.RunDue().ok());
    std::vector<AuditRecord> missed = node_.Records("schedule_missed");
    return missed.empty() ? nlohmann::json() : Params(missed.back());
  }

  int64_t CountJobsWithKey(const std::string& key) {
    RawDb raw(node_.Sub("node.db"));
    return std::stoll(
        raw.QueryText("SELECT count(*) FROM jobs WHERE request_key = '" + key + "'"));
  }

  NodeFixture node_;
  FakeClock clock_{kJan31 + kHour};  // 01:00:00
};

TEST_F(SchedulerTest, FakeClockDrivesFiresOnTheThread) {
  Submitter submitter(node_.store());
  auto scheduler = Make({Schedule("quarter", Recurrence{900, 0})}, submitter);
  ASSERT_TRUE(scheduler->Start().ok());
  EXPECT_EQ(scheduler->NextFireTime(), kJan31 + kHour + 900);
  clock_.Advance(minutes(14));
  clock_.Advance(minutes(1));
  ASSERT_TRUE(submitter.WaitFor(1));
  clock_.Advance(minutes(15));
  ASSERT_TRUE(submitter.WaitFor(2));
  scheduler->Stop();
  EXPECT_THAT(submitter.keys(), ElementsAre("schedule:quarter:2025-01-31T01:15:00Z",
                                            "schedule:quarter:2025-01-31T01:30:00Z"));
  EXPECT_THAT(submitter.actors(), ElementsAre("schedule:quarter", "schedule:quarter"));
  auto states = ReadScheduleStates(node_.store());
  ASSERT_TRUE(states.ok());
  ASSERT_EQ(states->size(), 1u);
  EXPECT_EQ((*states)[0].last_fired, kJan31 + kHour + 1800);
  EXPECT_THAT((*states)[0].last_job_id, StartsWith("job_"));
  EXPECT_TRUE(node_.Records("schedule_missed").empty());
}

TEST_F(SchedulerTest, DailyAt0200FiresOncePerDayAcrossTheDayBoundary) {
  Submitter submitter(node_.store());
  auto scheduler = Make({Schedule("nightly", Recurrence{86400, 2 * kHour})}, submitter);
  ASSERT_TRUE(scheduler->CatchUpAfterDowntime().ok());
  clock_.Advance(minutes(59));  // 01:59
  ASSERT_TRUE(scheduler->RunDue().ok());
  EXPECT_TRUE(submitter.keys().empty());
  clock_.Advance(minutes(1));  // 02:00
  ASSERT_TRUE(scheduler->RunDue().ok());
  ASSERT_TRUE(scheduler->RunDue().ok());  // the same fire time again: nothing
  clock_.Advance(hours(23) + minutes(59));  // Feb 1, 01:59
  ASSERT_TRUE(scheduler->RunDue().ok());
  clock_.Advance(minutes(1));  // Feb 1, 02:00
  ASSERT_TRUE(scheduler->RunDue().ok());
  EXPECT_THAT(submitter.keys(), ElementsAre("schedule:nightly:2025-01-31T02:00:00Z",
                                            "schedule:nightly:2025-02-01T02:00:00Z"));
}

TEST_F(SchedulerTest, RestartAfterDowntimeReportsMissedRunsExactlyOnce) {
  Submitter submitter(node_.store());
  {
    auto scheduler = Make({Schedule("quarter", Recurrence{900, 0})}, submitter);
    ASSERT_TRUE(scheduler->CatchUpAfterDowntime().ok());
    clock_.Advance(minutes(15));  // 01:15, fires
    ASSERT_TRUE(scheduler->RunDue().ok());
  }
  ASSERT_EQ(submitter.keys().size(), 1u);
  node_.Reopen();
  clock_.Advance(hours(2) + minutes(5));  // 03:20: 01:30 .. 03:15 were missed
  Submitter after(node_.store());
  for (int restart = 0; restart < 2; ++restart) {
    auto scheduler = Make({Schedule("quarter", Recurrence{900, 0})}, after);
    ASSERT_TRUE(scheduler->CatchUpAfterDowntime().ok());
    ASSERT_TRUE(scheduler->RunDue().ok());
  }
  EXPECT_TRUE(after.keys().empty()) << "missed runs are reported, not run";
  std::vector<AuditRecord> missed = node_.Records("schedule_missed");
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[0].actor, "schedule:quarter");
  EXPECT_EQ(missed[0].alliance, "fin");
  EXPECT_EQ(missed[0].peer, "bravo");
  EXPECT_EQ(missed[0].counts.at("num_missed"), 8);
  nlohmann::json p = Params(missed[0]);
  EXPECT_EQ(p["first_missed"], "2025-01-31T01:30:00Z");
  EXPECT_EQ(p["last_missed"], "2025-01-31T03:15:00Z");
  EXPECT_EQ(p["reason"], "node_not_running");
  EXPECT_EQ(p["catch_up"], "none");
  EXPECT_EQ(p["schedule"], "quarter");
}

TEST_F(SchedulerTest, CatchUpLatestRunsOnlyTheMostRecentMissedRun) {
  Submitter submitter(node_.store());
  auto config = Schedule("nightly", Recurrence{86400, 2 * kHour}, CatchUp::kLatest);
  {
    auto scheduler = Make({config}, submitter);
    ASSERT_TRUE(scheduler->CatchUpAfterDowntime().ok());
  }
  clock_.Advance(hours(24 * 3));  // Feb 3, 01:00: Jan 31, Feb 1 and Feb 2 at 02:00 missed
  auto scheduler = Make({config}, submitter);
  ASSERT_TRUE(scheduler->CatchUpAfterDowntime().ok());
  EXPECT_THAT(submitter.keys(), ElementsAre("schedule:nightly:2025-02-02T02:00:00Z"));
  std::vector<AuditRecord> missed = node_.Records("schedule_missed");
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[0].counts.at("num_missed"), 2);
  EXPECT_EQ(Params(missed[0])["first_missed"], "2025-01-31T02:00:00Z");
  EXPECT_EQ(Params(missed[0])["last_missed"], "2025-02-01T02:00:00Z");
  EXPECT_EQ(Params(missed[0])["catch_up"], "latest");
  EXPECT_EQ(scheduler->NextFireTime(), kJan31 + 3 * 86400 + 2 * kHour);
}

TEST_F(SchedulerTest, SameFireTimeNeverSubmitsTwiceAcrossACrashAndRestart) {
  auto config = Schedule("quarter", Recurrence{900, 0}, CatchUp::kLatest);
  Submitter first(node_.store());
  {
    auto scheduler = Make({config}, first);
    ASSERT_TRUE(scheduler->CatchUpAfterDowntime().ok());
    clock_.Advance(minutes(15));
    ASSERT_TRUE(scheduler->RunDue().ok());
  }
  ASSERT_THAT(first.keys(), ElementsAre("schedule:quarter:2025-01-31T01:15:00Z"));
  // A crash after the job was created but before the run was recorded:
  // `through` is still 01:00.
  RawDb(node_.Sub("node.db"))
      .Exec("UPDATE schedule_state SET through = " + std::to_string(kJan31 + kHour) +
            ", last_fired = NULL, last_job_id = ''");
  node_.Reopen();
  clock_.Advance(minutes(5));  // 01:20
  Submitter second(node_.store());
  auto scheduler = Make({config}, second);
  ASSERT_TRUE(scheduler->CatchUpAfterDowntime().ok());
  ASSERT_TRUE(scheduler->RunDue().ok());
  EXPECT_TRUE(second.keys().empty());
  EXPECT_TRUE(node_.Records("schedule_missed").empty()) << "the 01:15 run was not missed";
  EXPECT_EQ(CountJobsWithKey("schedule:quarter:2025-01-31T01:15:00Z"), 1);
  auto states = ReadScheduleStates(node_.store());
  ASSERT_TRUE(states.ok());
  EXPECT_EQ((*states)[0].through, kJan31 + kHour + 900);
  EXPECT_THAT((*states)[0].last_job_id, StartsWith("job_"));
}

TEST_F(SchedulerTest, ResubmittingTheSameFireTimeReturnsTheSameJob) {
  Submitter submitter(node_.store());
  SubmitJobFn submit = submitter.Fn();
  auto config = Schedule("quarter", Recurrence{900, 0});
  std::string key = ScheduleIdempotencyKey("quarter", kJan31 + 900);
  auto a = submit(config.job, key, "schedule:quarter");
  auto b = submit(config.job, key, "schedule:quarter");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(CountJobsWithKey(key), 1);
}

TEST_F(SchedulerTest, LateLoopFiresTheLatestRunAndReportsTheSkippedOnes) {
  Submitter submitter(node_.store());
  auto scheduler = CaughtUpQuarter(submitter);
  clock_.Advance(minutes(50));  // 01:50: 01:15 and 01:30 skipped, 01:45 due
  ASSERT_TRUE(scheduler->RunDue().ok());
  EXPECT_THAT(submitter.keys(), ElementsAre("schedule:quarter:2025-01-31T01:45:00Z"));
  std::vector<AuditRecord> missed = node_.Records("schedule_missed");
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[0].counts.at("num_missed"), 2);
  EXPECT_EQ(Params(missed[0])["reason"], "late");
  EXPECT_EQ(Params(missed[0])["last_missed"], "2025-01-31T01:30:00Z");
}

TEST_F(SchedulerTest, FailedOrRefusedSubmissionIsReportedAsMissedAndTheNextRunProceeds) {
  Submitter submitter(node_.store());
  auto scheduler = CaughtUpQuarter(submitter);
  nlohmann::json failed = FailNextRun(
      submitter, *scheduler, absl::PermissionDeniedError("rate limit of alliance fin"));
  EXPECT_EQ(failed["reason"], "submit_failed");
  EXPECT_THAT(failed.value("error", ""), HasSubstr("rate limit"));
  // A spent budget (ResourceExhausted: the privacy budget of a count or
  // sum) is named as such.
  nlohmann::json refused = FailNextRun(
      submitter, *scheduler, absl::ResourceExhaustedError("the privacy budget is spent"));
  EXPECT_EQ(refused["reason"], "budget_exhausted");
  EXPECT_EQ(refused["error"], "RESOURCE_EXHAUSTED: the privacy budget is spent");
  EXPECT_EQ(refused["first_missed"], "2025-01-31T01:30:00Z");
  ASSERT_TRUE(scheduler->RunDue().ok());  // the same fire time: not tried again
  EXPECT_EQ(submitter.keys().size(), 2u);
  submitter.FailWith(absl::OkStatus());
  clock_.Advance(minutes(15));
  ASSERT_TRUE(scheduler->RunDue().ok());
  EXPECT_EQ(submitter.keys().size(), 3u);
  EXPECT_EQ(node_.Records("schedule_missed").size(), 2u);
  EXPECT_EQ(scheduler->NextFireTime(), kJan31 + kHour + 60 * 60);
}

TEST_F(SchedulerTest, MissedRunsAreQueuedForWebhooksInTheSameTransaction) {
  ASSERT_EQ(setenv("LIAISON_TEST_SCHEDULE_SECRET", "0123456789abcdef0123", 1), 0);
  WebhookConfig hook;
  hook.name = "soar";
  hook.url = "http://127.0.0.1:9/hook";
  hook.secret_env = "LIAISON_TEST_SCHEDULE_SECRET";
  hook.events = {WebhookEvent::kScheduleMissed};
  auto dispatcher = WebhookDispatcher::Create(node_.store(), node_.audit(), {{"soar", hook}},
                                              clock_, {});
  ASSERT_TRUE(dispatcher.ok()) << dispatcher.status();
  Submitter submitter(node_.store());
  {
    auto scheduler = Make({Schedule("quarter", Recurrence{900, 0})}, submitter, dispatcher->get());
    ASSERT_TRUE(scheduler->CatchUpAfterDowntime().ok());
  }
  clock_.Advance(hours(1));
  auto scheduler = Make({Schedule("quarter", Recurrence{900, 0})}, submitter, dispatcher->get());
  ASSERT_TRUE(scheduler->CatchUpAfterDowntime().ok());
  auto deliveries = ListWebhookDeliveries(node_.store());
  ASSERT_TRUE(deliveries.ok());
  ASSERT_EQ(deliveries->size(), 1u);
  EXPECT_EQ((*deliveries)[0].event, "schedule_missed");
  EXPECT_EQ((*deliveries)[0].webhook, "soar");
  EXPECT_EQ((*deliveries)[0].state, WebhookDeliveryState::kPending);
}

TEST_F(SchedulerTest, StartTwiceIsFailedPrecondition) {
  Submitter submitter(node_.store());
  auto scheduler = Make({Schedule("quarter", Recurrence{900, 0})}, submitter);
  ASSERT_TRUE(scheduler->Start().ok());
  EXPECT_EQ(scheduler->Start().code(), absl::StatusCode::kFailedPrecondition);
  scheduler->Stop();
  scheduler->Stop();
}

}  // namespace
}  // namespace liaison::node
