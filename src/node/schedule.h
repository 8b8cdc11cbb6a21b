// Schedules: jobs that recur, configured as [schedules.<name>] tables
// (docs/node.md, "Schedules"), e.g. a nightly match of our indicators
// against a partner's.
//
// Recurrence grammar (all times UTC; DST does not exist here):
//   every = "<n>s" | "<n>m" | "<n>h" | "<n>d"
//                                      a period that divides a day (15m, 90m,
//                                      6h; seconds such as 2s or 30s, for
//                                      tests and fine-grained automation) or
//                                      is a whole number of days (24h, 1d,
//                                      7d). Runs fall on the period's
//                                      multiples counted from midnight UTC
//                                      (every = "15m": :00 :15 :30 :45;
//                                      every = "7d": every 7th day counted
//                                      from 1970-01-01).
//   at    = "HH:MM"                    only with a whole-day `every`: the
//                                      time of day of each run.
//   daily = "HH:MM"                    the same as every = "24h", at = "HH:MM".
// Exactly one of `every` and `daily` is required.
//
// Each run is submitted with the idempotency key
// "schedule:<name>:<fire time, RFC 3339>" and actor "schedule:<name>", so
// the same fire time can never create two jobs, not even across a crash and
// restart. Per schedule the store keeps `through`: every fire time at or
// before it has been handled (submitted, reported missed, or predates the
// schedule), and the last submitted run.
//
// Missed runs are reported, never skipped silently: fire times that passed
// while the node was down (or while the scheduler could not keep up) are
// recorded as one audit record "schedule_missed" per gap, with how many and
// the first and last, and sent to webhooks that subscribe to
// schedule_missed, in the same transaction that advances `through` (so a gap
// is reported exactly once). They are not run; with catch_up = "latest" the
// most recent one is run. A run whose submission fails is reported the same
// way (reason "submit_failed"), and one refused because it would overspend
// a budget — the privacy budget of a count or sum (ResourceExhausted) — with
// reason "budget_exhausted"; neither is retried, and the next fire time is
// submitted as usual.
#ifndef LIAISON_NODE_SCHEDULE_H_
#define LIAISON_NODE_SCHEDULE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/audit.h"
#include "node/clock.h"
#include "node/config.h"
#include "node/internal/worker.h"
#include "node/store.h"

namespace liaison::node {

class WebhookDispatcher;

// --- recurrence arithmetic ---

// ParseEvery parses an `every` value ("30s", "15m", "6h", "24h", "1d") into
// seconds. InvalidArgument (a message without key or line) if it is not
// digits and a unit s, m, h or d, is zero, is longer than 366 days, or neither
// divides a day nor is a whole number of days.
absl::StatusOr<int64_t> ParseEvery(std::string_view every);

// ParseTimeOfDay parses "HH:MM" (00:00 to 23:59, two digits each) into
// seconds after midnight. InvalidArgument otherwise.
absl::StatusOr<int64_t> ParseTimeOfDay(std::string_view hh_mm);

// RecurrenceText describes `r` in config syntax: "every 30s", "every 15m",
// "daily at 02:00", "every 7d at 06:30".
std::string RecurrenceText(const Recurrence& r);

// NextFireAfter returns the first fire time of `r` strictly after Unix time
// `t`. `r` must be valid (period_s > 0, 0 <= offset_s < period_s).
int64_t NextFireAfter(const Recurrence& r, int64_t t);

// LatestFireAtOrBefore returns the last fire time of `r` at or before `t`.
int64_t LatestFireAtOrBefore(const Recurrence& r, int64_t t);

// NumFiresBetween returns how many fire times of `r` lie in (`after`,
// `through`]; 0 when through <= after.
int64_t NumFiresBetween(const Recurrence& r, int64_t after, int64_t through);

// ScheduleIdempotencyKey returns "schedule:<name>:<RFC 3339 fire time>",
// e.g. "schedule:nightly:2025-01-31T02:00:00Z".
std::string ScheduleIdempotencyKey(std::string_view schedule_name, int64_t fire_time);

// --- the scheduler ---

// SubmitJobFn submits one run of a schedule as a job and returns the job's
// id. The daemon implements it with Daemon::SubmitJob, the path of
// POST /v1/jobs (passing `idempotency_key` and `actor` through); a key used
// before must return the job created then, not a new one (so a count or sum
// run never reserves its privacy cost twice). AlreadyExists (the key was
// used for a different request, e.g. the config changed between a crash and
// the restart) counts as submitted. ResourceExhausted (a spent budget) and
// any other error are reported as a missed run. Called on the scheduler's thread,
// without the scheduler's lock; it should not block for long.
using SubmitJobFn = std::function<absl::StatusOr<std::string>(
    const JobTemplate& job, std::string_view idempotency_key, std::string_view actor)>;

// ScheduleState is what the store records for a schedule.
struct ScheduleState {
  std::string name;
  // through: every fire time <= through (Unix seconds) has been handled.
  int64_t through = 0;
  // last_fired is the fire time of the last run submitted, if any, and
  // last_job_id that run's job.
  std::optional<int64_t> last_fired;
  std::string last_job_id;
};

// ReadScheduleStates returns the stored state of every schedule the store
// has seen (including ones since removed from the config), by name.
absl::StatusOr<std::vector<ScheduleState>> ReadScheduleStates(Store& store);

// Scheduler fires the configured schedules on a background thread.
//
// Life cycle: construct, Start() once, Stop() (or destroy) once. `store`,
// `audit`, `clock` and `webhooks` (may be null: no webhooks) must outlive
// the Scheduler. Public methods are thread-safe, except that RunDue and
// CatchUpAfterDowntime must not be called while the thread runs (they are
// the loop's steps, public for tests that drive them directly).
class Scheduler {
 public:
  Scheduler(Store& store, AuditLog& audit, std::vector<ScheduleConfig> schedules,
            SubmitJobFn submit, Clock& clock, WebhookDispatcher* webhooks);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Start runs CatchUpAfterDowntime and, if that succeeds, starts the
  // thread. FailedPrecondition if already started. A store error from the
  // catch-up is returned and no thread is started.
  absl::Status Start();

  // Stop wakes the thread and waits for it to finish the submission in
  // progress, if any. Idempotent.
  void Stop();

  // CatchUpAfterDowntime loads every schedule's state. A schedule seen for
  // the first time starts now (nothing is missed). For the others, fire
  // times since `through` were missed while the node was down: they are
  // reported (see the top of this file) and, with catch_up = "latest", the
  // most recent is submitted.
  absl::Status CatchUpAfterDowntime();

  // RunDue submits, for every schedule with a fire time due (after
  // `through`, at or before now), the latest one; earlier ones due at the
  // same time (the loop was late, e.g. a suspended host) are reported
  // missed. Store errors are returned after every schedule was tried.
  absl::Status RunDue();

  // NextFireTime returns the earliest coming fire time of all schedules, or
  // nullopt if there are none (or before CatchUpAfterDowntime).
  std::optional<int64_t> NextFireTime();

 private:
  struct Entry {
    ScheduleConfig config;
    std::optional<ScheduleState> state;  // loaded by CatchUpAfterDowntime
  };

  absl::Status Evaluate(Entry& entry, int64_t now, bool after_downtime);
  absl::Status RecoverSubmitted(Entry& entry);
  absl::Status ReportMissed(Entry& entry, int64_t first, int64_t last, int64_t num_missed,
                            std::string_view reason, std::string_view error,
                            int64_t new_through);
  absl::Status RecordFired(Entry& entry, int64_t fire_time, const std::string& job_id);
  Clock::TimePoint Step();

  Store& store_;
  AuditLog& audit_;
  SubmitJobFn submit_;
  Clock& clock_;
  WebhookDispatcher* webhooks_;

  // mu_ guards entries_' states against NextFireTime from other threads;
  // only the worker's thread (or a test, before Start) changes them.
  std::mutex mu_;
  std::vector<Entry> entries_;
  internal::Worker worker_;  // last: stopped before the rest goes
};

}  // namespace liaison::node

#endif  // LIAISON_NODE_SCHEDULE_H_
