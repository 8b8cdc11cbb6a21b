#include "node/schedule.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/log.h"
#include "base/status.h"
#include "base/strings.h"
#include "node/internal/sqlite.h"
#include "node/internal/util.h"
#include "node/webhook.h"

namespace liaison::node {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kMaxPeriod = 366 * kDay;
// kRetryAfterStoreError is how long the loop waits after a store error (a
// busy or full disk) before it tries again.
constexpr auto kRetryAfterStoreError = std::chrono::seconds(10);

// FloorDiv rounds towards minus infinity, so that fire times before the
// epoch (never used, but valid arithmetic) come out right too.
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

std::string TwoDigits(int64_t v) {
  return StrCat(static_cast<char>('0' + v / 10), static_cast<char>('0' + v % 10));
}

std::string StatusText(const absl::Status& s) {
  return StrCat(absl::StatusCodeToString(s.code()), ": ", std::string(s.message()));
}

}  // namespace

absl::StatusOr<int64_t> ParseEvery(std::string_view every) {
  const absl::Status bad = absl::InvalidArgumentError(
      StrCat("\"", every, "\" is not a period: write digits and a unit s, m, h or d, e.g. "
                          "\"15m\", \"6h\", \"24h\""));
  if (every.size() < 2 || every.size() > 7) return bad;
  int64_t unit = 0;
  switch (every.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = kDay; break;
    default: return bad;
  }
  int64_t n = 0;
  for (char c : every.substr(0, every.size() - 1)) {
    if (c < '0' || c > '9') return bad;
    n = n * 10 + (c - '0');
  }
  int64_t period = n * unit;
  if (period == 0) return absl::InvalidArgumentError("the period must be longer than zero");
  if (period > kMaxPeriod) {
    return absl::InvalidArgumentError(StrCat("\"", every, "\" is longer than 366 days"));
  }
  if (kDay % period != 0 && period % kDay != 0) {
    return absl::InvalidArgumentError(StrCat(
        "\"", every, "\" neither divides a day nor is a whole number of days, so the runs would "
                     "drift through the day; use e.g. 5m, 10m, 15m, 20m, 30m, 1h, 2h, 3h, 4h, 6h, "
                     "8h, 12h, 24h or 7d"));
  }
  return period;
}

absl::StatusOr<int64_t> ParseTimeOfDay(std::string_view hh_mm) {
  auto digit = [&](size_t i) { return hh_mm[i] >= '0' && hh_mm[i] <= '9'; };
  if (hh_mm.size() != 5 || hh_mm[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4)) {
    return absl::InvalidArgumentError(
        StrCat("\"", hh_mm, "\" is not a time of day: write HH:MM, 24-hour, UTC, e.g. \"02:00\""));
  }
  int64_t h = (hh_mm[0] - '0') * 10 + (hh_mm[1] - '0');
  int64_t m = (hh_mm[3] - '0') * 10 + (hh_mm[4] - '0');
  if (h > 23 || m > 59) {
    return absl::InvalidArgumentError(
        StrCat("\"", hh_mm, "\" is not a time of day (00:00 to 23:59)"));
  }
  return h * 3600 + m * 60;
}

std::string RecurrenceText(const Recurrence& r) {
  const int64_t p = r.period_s;
  if (p % kDay == 0) {
    std::string at = StrCat(TwoDigits(r.offset_s / 3600), ":", TwoDigits(r.offset_s % 3600 / 60));
    if (p == kDay) return StrCat("daily at ", at);
    return StrCat("every ", p / kDay, "d at ", at);
  }
  if (p % 3600 == 0) return StrCat("every ", p / 3600, "h");
  if (p % 60 == 0) return StrCat("every ", p / 60, "m");
  return StrCat("every ", p, "s");
}

int64_t LatestFireAtOrBefore(const Recurrence& r, int64_t t) {
  return FloorDiv(t - r.offset_s, r.period_s) * r.period_s + r.offset_s;
}

int64_t NextFireAfter(const Recurrence& r, int64_t t) {
  return LatestFireAtOrBefore(r, t) + r.period_s;
}

int64_t NumFiresBetween(const Recurrence& r, int64_t after, int64_t through) {
  if (through <= after) return 0;
  return FloorDiv(through - r.offset_s, r.period_s) - FloorDiv(after - r.offset_s, r.period_s);
}

std::string ScheduleIdempotencyKey(std::string_view schedule_name, int64_t fire_time) {
  return StrCat("schedule:", schedule_name, ":", Rfc3339Seconds(fire_time));
}

absl::StatusOr<std::vector<ScheduleState>> ReadScheduleStates(Store& store) {
  std::vector<ScheduleState> out;
  LIAISON_RETURN_IF_ERROR(store.Read([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt s,
        db.Prepare("SELECT name, through, last_fired, last_job_id FROM schedule_state "
                   "ORDER BY name"));
    while (true) {
      LIAISON_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return absl::OkStatus();
      ScheduleState st;
      st.name = s.Text(0);
      st.through = s.Int(1);
      if (!s.IsNull(2)) st.last_fired = s.Int(2);
      st.last_job_id = s.Text(3);
      out.push_back(std::move(st));
    }
  }));
  return out;
}

Scheduler::Scheduler(Store& store, AuditLog& audit, std::vector<ScheduleConfig> schedules,
                     SubmitJobFn submit, Clock& clock, WebhookDispatcher* webhooks)
    : store_(store), audit_(audit), submit_(std::move(submit)), clock_(clock),
      webhooks_(webhooks), worker_(clock, "scheduler") {
  for (ScheduleConfig& c : schedules) entries_.push_back(Entry{std::move(c), std::nullopt});
}

Scheduler::~Scheduler() { Stop(); }

absl::Status Scheduler::Start() {
  return worker_.Start([this] { return CatchUpAfterDowntime(); }, [this] { return Step(); });
}

void Scheduler::Stop() { worker_.Stop(); }

absl::Status Scheduler::CatchUpAfterDowntime() {
  const int64_t now = UnixSeconds(clock_.Now());
  LIAISON_ASSIGN_OR_RETURN(std::vector<ScheduleState> stored, ReadScheduleStates(store_));
  for (Entry& e : entries_) {
    auto it = std::find_if(stored.begin(), stored.end(),
                           [&](const ScheduleState& s) { return s.name == e.config.name; });
    ScheduleState state;
    if (it != stored.end()) {
      state = *it;
    } else {
      state.name = e.config.name;
      state.through = now;
      LIAISON_RETURN_IF_ERROR(store_.Write([&](internal::Db& db) -> absl::Status {
        LIAISON_ASSIGN_OR_RETURN(
            internal::Stmt s,
            db.Prepare("INSERT INTO schedule_state (name, through, updated) VALUES (?, ?, ?)"));
        s.Bind(1, state.name).Bind(2, state.through).Bind(3, internal::Rfc3339At(clock_.Now()));
        return s.Run();
      }));
    }
    std::lock_guard<std::mutex> lock(mu_);
    e.state = std::move(state);
  }
  absl::Status first_error;
  for (Entry& e : entries_) {
    absl::Status s = Evaluate(e, now, /*after_downtime=*/true);
    if (first_error.ok()) first_error = s;
  }
  return first_error;
}

absl::Status Scheduler::RunDue() {
  const int64_t now = UnixSeconds(clock_.Now());
  absl::Status first_error;
  for (Entry& e : entries_) {
    if (!e.state) {
      return absl::FailedPreconditionError("RunDue before CatchUpAfterDowntime");
    }
    absl::Status s = Evaluate(e, now, /*after_downtime=*/false);
    if (first_error.ok()) first_error = s;
  }
  return first_error;
}

std::optional<int64_t> Scheduler::NextFireTime() {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<int64_t> next;
  for (const Entry& e : entries_) {
    if (!e.state) continue;
    int64_t t = NextFireAfter(e.config.recurrence, e.state->through);
    if (!next || t < *next) next = t;
  }
  return next;
}

absl::Status Scheduler::Evaluate(Entry& e, int64_t now, bool after_downtime) {
  LIAISON_RETURN_IF_ERROR(RecoverSubmitted(e));
  const Recurrence& r = e.config.recurrence;
  const int64_t through = e.state->through;
  const int64_t num_due = NumFiresBetween(r, through, now);
  if (num_due == 0) return absl::OkStatus();
  const int64_t latest = LatestFireAtOrBefore(r, now);
  const bool run_latest = !after_downtime || e.config.catch_up == CatchUp::kLatest;
  const int64_t num_missed = run_latest ? num_due - 1 : num_due;
  if (num_missed > 0) {
    const int64_t last_missed = run_latest ? latest - r.period_s : latest;
    LIAISON_RETURN_IF_ERROR(ReportMissed(e, NextFireAfter(r, through), last_missed, num_missed,
                                         after_downtime ? "node_not_running" : "late", "",
                                         last_missed));
  }
  if (!run_latest) return absl::OkStatus();

  const std::string key = ScheduleIdempotencyKey(e.config.name, latest);
  absl::StatusOr<std::string> job_id =
      submit_(e.config.job, key, ActorForSchedule(e.config.name));
  if (job_id.ok()) return RecordFired(e, latest, *job_id);
  if (absl::IsAlreadyExists(job_id.status())) {
    // The key was used: this run was submitted before, with a different
    // template (the config changed). It must not run twice.
    Log(LogLevel::kWarning, StrCat("schedule ", e.config.name, ": the run of ",
                                   Rfc3339Seconds(latest), " was already submitted"));
    return RecordFired(e, latest, "");
  }
  // A refusal for a spent budget is reported as such: a budget is never
  // given back, so it says the runs will keep being refused until the
  // budget is raised. It is not retried; the next fire time is tried anew.
  const bool exhausted = absl::IsResourceExhausted(job_id.status());
  Log(LogLevel::kWarning, StrCat("schedule ", e.config.name, ": the run of ",
                                 Rfc3339Seconds(latest),
                                 exhausted ? " was refused: " : " could not be submitted: ",
                                 StatusText(job_id.status())));
  return ReportMissed(e, latest, latest, 1, exhausted ? "budget_exhausted" : "submit_failed",
                      StatusText(job_id.status()), latest);
}

absl::Status Scheduler::RecoverSubmitted(Entry& e) {
  // Runs are recorded after they are submitted; a crash in between leaves a
  // job with the run's key and `through` before it. That run was not
  // missed. It can only be the first fire time after `through`.
  const int64_t first = NextFireAfter(e.config.recurrence, e.state->through);
  if (first > UnixSeconds(clock_.Now())) return absl::OkStatus();
  std::optional<std::string> job_id;
  LIAISON_RETURN_IF_ERROR(store_.Read([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(internal::Stmt s,
                             db.Prepare("SELECT id FROM jobs WHERE request_key = ?"));
    s.Bind(1, ScheduleIdempotencyKey(e.config.name, first));
    LIAISON_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) job_id = s.Text(0);
    return absl::OkStatus();
  }));
  if (!job_id) return absl::OkStatus();
  return RecordFired(e, first, *job_id);
}

absl::Status Scheduler::ReportMissed(Entry& e, int64_t first, int64_t last, int64_t num_missed,
                                     std::string_view reason, std::string_view error,
                                     int64_t new_through) {
  const JobTemplate& job = e.config.job;
  AuditEvent event;
  event.kind = AuditKind::kScheduleMissed;
  event.actor = ActorForSchedule(e.config.name);
  event.alliance = job.alliance;
  event.peer = job.peer;
  event.question = std::string(QuestionName(job.question));
  event.protocol = job.protocol;
  nlohmann::json params = {{"schedule", e.config.name},
                           {"recurrence", RecurrenceText(e.config.recurrence)},
                           {"catch_up", CatchUpName(e.config.catch_up)},
                           {"reason", reason},
                           {"first_missed", Rfc3339Seconds(first)},
                           {"last_missed", Rfc3339Seconds(last)}};
  if (!error.empty()) params["error"] = error;
  event.params_json = params.dump();
  event.counts["num_missed"] = num_missed;

  WebhookNotification note;
  note.event = WebhookEvent::kScheduleMissed;
  note.missed = WebhookNotification::MissedRuns{e.config.name, num_missed, first, last,
                                                std::string(reason)};

  LIAISON_RETURN_IF_ERROR(store_.Write([&](internal::Db& db) -> absl::Status {
    LIAISON_RETURN_IF_ERROR(audit_.AppendIn(db, event).status());
    if (webhooks_ != nullptr) LIAISON_RETURN_IF_ERROR(webhooks_->EnqueueIn(db, note));
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt s,
        db.Prepare("UPDATE schedule_state SET through = ?, updated = ? WHERE name = ?"));
    s.Bind(1, new_through).Bind(2, internal::Rfc3339At(clock_.Now())).Bind(3, e.config.name);
    return s.Run();
  }));
  if (webhooks_ != nullptr) webhooks_->Wake();
  Log(LogLevel::kWarning,
      StrCat("schedule ", e.config.name, ": ", num_missed, " run(s) missed (", reason, "), ",
             Rfc3339Seconds(first), " to ", Rfc3339Seconds(last)));
  std::lock_guard<std::mutex> lock(mu_);
  e.state->through = new_through;
  return absl::OkStatus();
}

absl::Status Scheduler::RecordFired(Entry& e, int64_t fire_time, const std::string& job_id) {
  LIAISON_RETURN_IF_ERROR(store_.Write([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt s,
        db.Prepare("UPDATE schedule_state SET through = ?, last_fired = ?, last_job_id = ?, "
                   "updated = ? WHERE name = ?"));
    s.Bind(1, fire_time)
        .Bind(2, fire_time)
        .Bind(3, job_id)
        .Bind(4, internal::Rfc3339At(clock_.Now()))
        .Bind(5, e.config.name);
    return s.Run();
  }));
  std::lock_guard<std::mutex> lock(mu_);
  e.state->through = fire_time;
  e.state->last_fired = fire_time;
  e.state->last_job_id = job_id;
  return absl::OkStatus();
}

Clock::TimePoint Scheduler::Step() {
  absl::Status status = RunDue();
  if (!status.ok()) {
    Log(LogLevel::kError, StrCat("scheduler: ", StatusText(status)));
    return clock_.Now() + kRetryAfterStoreError;
  }
  std::optional<int64_t> next = NextFireTime();
  return next ? FromUnixSeconds(*next) : clock_.Now() + std::chrono::hours(24);
}

}  // namespace liaison::node
