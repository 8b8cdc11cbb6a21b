#include "node/webhook.h"

#include <fcntl.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/bytes.h"
#include "base/log.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/version.h"
#include "net/host_port.h"
#include "node/internal/sqlite.h"
#include "node/internal/util.h"

namespace liaison::node {
namespace {

constexpr size_t kMinSecretLen = 16;
constexpr size_t kMaxSecretLen = 4096;
// kBatch bounds how many due rows one DeliverDue pass reads.
constexpr int64_t kBatch = 32;
// kRetryAfterStoreError is how long the thread waits after a store error.
constexpr auto kRetryAfterStoreError = std::chrono::seconds(10);

using Json = nlohmann::json;
using std::chrono::milliseconds;

int64_t UnixMillis(Clock::TimePoint t) {
  return std::chrono::floor<milliseconds>(t.time_since_epoch()).count();
}

std::optional<JobState> StateForEvent(WebhookEvent e) {
  switch (e) {
    case WebhookEvent::kJobSucceeded: return JobState::kSucceeded;
    case WebhookEvent::kJobFailed: return JobState::kFailed;
    case WebhookEvent::kJobRefused: return JobState::kRefused;
    case WebhookEvent::kJobCancelled: return JobState::kCancelled;
    case WebhookEvent::kScheduleMissed: return std::nullopt;
    case WebhookEvent::kQuorumAlert: return JobState::kSucceeded;
  }
  return std::nullopt;
}

// ParseRetryAfter reads a Retry-After value: delay-seconds or an HTTP-date
// (RFC 9110, section 10.2.3). nullopt if it is neither.
std::optional<milliseconds> ParseRetryAfter(const std::string& v, int64_t now_s) {
  if (v.empty()) return std::nullopt;
  if (v.size() <= 9 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return milliseconds(std::stoll(v) * 1000);
  }
  struct tm tm {};
  const char* end = strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  int64_t at = static_cast<int64_t>(timegm(&tm));
  return milliseconds(std::max<int64_t>(0, at - now_s) * 1000);
}

bool IsRetryableStatus(int status) {
  return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

std::string_view OutcomeStateName(bool delivered) { return delivered ? "delivered" : "failed"; }

constexpr char kDeliveryColumns[] =
    "id, webhook, event, job_id, state, attempts, next_attempt, last_error, created, "
    "COALESCE(finished, '')";
constexpr int kNumDeliveryColumns = 10;

WebhookDelivery DeliveryFromRow(const internal::Stmt& s) {
  WebhookDelivery d;
  d.id = s.Text(0);
  d.webhook = s.Text(1);
  d.event = s.Text(2);
  d.job_id = s.Text(3);
  std::string state = s.Text(4);
  d.state = state == "pending"     ? WebhookDeliveryState::kPending
            : state == "delivered" ? WebhookDeliveryState::kDelivered
                                   : WebhookDeliveryState::kFailed;
  d.attempts = s.Int(5);
  d.next_attempt_ms = s.Int(6);
  d.last_error = s.Text(7);
  d.created = s.Text(8);
  d.finished = s.Text(9);
  return d;
}

}  // namespace

absl::StatusOr<WebhookUrl> ParseWebhookUrl(std::string_view url) {
  auto bad = [](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("not a usable webhook URL: ", why));
  };
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return bad("it contains white space or control characters");
    }
  }
  WebhookUrl out;
  std::string lower(url.substr(0, std::min<size_t>(url.size(), 8)));
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  std::string_view rest;
  if (lower.rfind("https://", 0) == 0) {
    out.https = true;
    rest = url.substr(8);
  } else if (lower.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return bad("it must start with http:// or https://");
  }
  if (rest.find('#') != std::string_view::npos) return bad("it must not have a #fragment");
  size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  std::string_view path = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return bad("user info (user@host) is not supported; put the credential in the secret");
  }
  bool has_port = authority.empty() || authority[0] != '['
                      ? authority.find(':') != std::string_view::npos
                      : authority.find("]:") != std::string_view::npos;
  std::string host_port(authority);
  if (!has_port) StrAppend(host_port, ":", out.https ? "443" : "80");
  absl::StatusOr<net::HostPort> hp = net::ParseHostPort(host_port);
  if (!hp.ok() || hp->port == 0) {
    return bad("the host must be a name, an IPv4 address or a bracketed IPv6 address, and the "
               "port 1 to 65535");
  }
  out.host = hp->host;
  out.port = hp->port;
  out.path = path.empty() ? "/" : (path[0] == '?' ? StrCat("/", path) : std::string(path));
  return out;
}

absl::StatusOr<std::string> WebhookPayload(const WebhookNotification& n,
                                           std::string_view delivery_id,
                                           std::string_view node_name, std::string_view time) {
  Json body = {{"delivery", delivery_id},
               {"event", WebhookEventName(n.event)},
               {"node", node_name},
               {"time", time}};
  if (std::optional<JobState> state = StateForEvent(n.event)) {
    if (!n.job) {
      return absl::InvalidArgumentError(
          StrCat("a ", WebhookEventName(n.event), " notification needs its job"));
    }
    const Job& j = *n.job;
    if (j.state != *state) {
      return absl::InvalidArgumentError(StrCat("a ", WebhookEventName(n.event),
                                               " notification for a job that is ",
                                               JobStateName(j.state)));
    }
    Json counts = Json::object();
    for (const auto& [k, v] : n.counts) counts[k] = v;
    body["job"] = {{"id", j.id},
                   {"state", JobStateName(j.state)},
                   {"alliance", j.alliance},
                   {"peer", j.peer},
                   {"question", j.question},
                   {"protocol", j.protocol},
                   {"actor", j.actor},
                   {"idempotency_key", j.idempotency_key},
                   {"created", j.created},
                   {"updated", j.updated},
                   {"error", j.error},
                   {"counts", counts},
                   {"result_digest", n.result_digest}};
    if (n.event == WebhookEvent::kQuorumAlert) {
      // The alert: how many items of ours crossed the threshold, and where
      // the result is (GET it with an API key); never the items.
      auto count = [&](const char* key) {
        auto it = n.counts.find(key);
        return it != n.counts.end() ? it->second : int64_t{0};
      };
      body["alert"] = {{"threshold", count("threshold")},
                       {"participants", count("participants")},
                       {"qualifying", count("qualifying")},
                       {"result", StrCat("/v1/jobs/", j.id, "/result")}};
    }
  } else {
    if (!n.missed) {
      return absl::InvalidArgumentError("a schedule_missed notification needs its missed runs");
    }
    const WebhookNotification::MissedRuns& m = *n.missed;
    body["schedule"] = {{"name", m.schedule},
                        {"num_missed", m.num_missed},
                        {"first_missed", Rfc3339Seconds(m.first_missed)},
                        {"last_missed", Rfc3339Seconds(m.last_missed)},
                        {"reason", m.reason}};
  }
  try {
    return body.dump();
  } catch (const Json::exception&) {
    return absl::InvalidArgumentError("the notification is not valid UTF-8");
  }
}

std::string WebhookSignature(const SecretBytes& secret, int64_t timestamp,
                             std::string_view body) {
  std::string message = StrCat(timestamp, ".", body);
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const uint8_t*>(message.data()), message.size(), mac, &mac_len);
  return ToHex(ByteSpan(mac, mac_len));
}

absl::StatusOr<SecretBytes> LoadWebhookSecret(const WebhookConfig& config) {
  SecretBytes secret;
  if (!config.secret_env.empty()) {
    const char* v = ::getenv(config.secret_env.c_str());
    if (v == nullptr) {
      return absl::FailedPreconditionError(
          StrCat("the environment variable ", config.secret_env, " (secret_env) is not set"));
    }
    secret = SecretBytes(AsBytes(std::string_view(v)));
  } else {
    const std::string& path = config.secret_path;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      if (errno == ENOENT) return absl::NotFoundError(StrCat("no secret file ", path));
      return absl::ErrnoToStatus(errno, StrCat("cannot open the secret file ", path));
    }
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return absl::FailedPreconditionError(StrCat(path, " is not a regular file"));
    }
    if ((st.st_mode & 077) != 0) {
      ::close(fd);
      return absl::FailedPreconditionError(
          StrCat("the secret file ", path, " is accessible to group or others (mode 0",
                 (st.st_mode >> 6) & 7, (st.st_mode >> 3) & 7, st.st_mode & 7,
                 "); make it private: chmod 600 ", path));
    }
    secret = SecretBytes(kMaxSecretLen + 1);
    size_t len = 0;
    while (len < secret.size()) {
      ssize_t got = ::read(fd, secret.data() + len, secret.size() - len);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        int err = errno;
        ::close(fd);
        return absl::ErrnoToStatus(err, StrCat("cannot read the secret file ", path));
      }
      if (got == 0) break;
      len += static_cast<size_t>(got);
    }
    ::close(fd);
    if (len > kMaxSecretLen) {
      return absl::FailedPreconditionError(
          StrCat("the secret file ", path, " is over ", kMaxSecretLen, " bytes"));
    }
    while (len > 0 && (secret.data()[len - 1] == '\n' || secret.data()[len - 1] == '\r' ||
                       secret.data()[len - 1] == ' ' || secret.data()[len - 1] == '\t')) {
      --len;
    }
    secret = SecretBytes(secret.span().subspan(0, len));
  }
  if (secret.size() < kMinSecretLen) {
    return absl::FailedPreconditionError(
        StrCat("the webhook secret (",
               config.secret_env.empty() ? config.secret_path : config.secret_env,
               ") is shorter than ", kMinSecretLen, " bytes; use e.g. `openssl rand -hex 32`"));
  }
  return secret;
}

std::string_view WebhookDeliveryStateName(WebhookDeliveryState s) {
  switch (s) {
    case WebhookDeliveryState::kPending: return "pending";
    case WebhookDeliveryState::kDelivered: return "delivered";
    case WebhookDeliveryState::kFailed: return "failed";
  }
  return "failed";
}

namespace {

// SelectDeliveries reads outbox rows in `order` ("rowid" or "rowid DESC"),
// at most `limit` (-1: all).
absl::StatusOr<std::vector<WebhookDelivery>> SelectDeliveries(Store& store,
                                                              std::string_view order,
                                                              int64_t limit) {
  std::vector<WebhookDelivery> out;
  LIAISON_RETURN_IF_ERROR(store.Read([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt s, db.Prepare(StrCat("SELECT ", kDeliveryColumns,
                                            " FROM webhook_outbox ORDER BY ", order, " LIMIT ?")));
    s.Bind(1, limit);
    while (true) {
      LIAISON_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return absl::OkStatus();
      out.push_back(DeliveryFromRow(s));
    }
  }));
  return out;
}

}  // namespace

absl::StatusOr<std::vector<WebhookDelivery>> ListWebhookDeliveries(Store& store) {
  return SelectDeliveries(store, "rowid", -1);
}

absl::StatusOr<std::vector<WebhookDelivery>> ListRecentWebhookDeliveries(Store& store,
                                                                         size_t limit) {
  return SelectDeliveries(store, "rowid DESC", static_cast<int64_t>(limit));
}

// Attempt is the outcome of one POST.
struct WebhookDispatcher::Attempt {
  enum class Outcome { kDelivered, kRetry, kFail };
  Outcome outcome = Outcome::kFail;
  std::string error;
  std::optional<milliseconds> retry_after;
};

WebhookDispatcher::WebhookDispatcher(Store& store, AuditLog& audit, Clock& clock,
                                     Options options)
    : store_(store), audit_(audit), clock_(clock), options_(std::move(options)),
      jitter_(std::random_device{}()), worker_(clock, "webhook dispatcher") {}

absl::StatusOr<std::unique_ptr<WebhookDispatcher>> WebhookDispatcher::Create(
    Store& store, AuditLog& audit, const std::map<std::string, WebhookConfig>& webhooks,
    Clock& clock, Options options) {
  std::unique_ptr<WebhookDispatcher> d(
      new WebhookDispatcher(store, audit, clock, std::move(options)));
  for (const auto& [name, config] : webhooks) {
    Hook hook;
    hook.config = config;
    absl::StatusOr<WebhookUrl> url = ParseWebhookUrl(config.url);
    if (!url.ok()) {
      return absl::InvalidArgumentError(
          StrCat("webhooks.", name, ": ", std::string(url.status().message())));
    }
    hook.url = std::move(*url);
    absl::StatusOr<SecretBytes> secret = LoadWebhookSecret(config);
    if (!secret.ok()) {
      return absl::Status(secret.status().code(), StrCat("webhooks.", name, ": ",
                                                         std::string(secret.status().message())));
    }
    hook.secret = std::move(*secret);
    d->hooks_.emplace(name, std::move(hook));
  }
  return d;
}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

absl::Status WebhookDispatcher::EnqueueIn(internal::Db& db, const WebhookNotification& n) {
  const std::string time = Rfc3339Seconds(UnixSeconds(clock_.Now()));
  const int64_t now_ms = UnixMillis(clock_.Now());
  // Rendered once up front so that a bad notification fails even when no
  // webhook subscribes to it.
  LIAISON_RETURN_IF_ERROR(WebhookPayload(n, "", options_.node_name, time).status());
  for (const auto& [name, hook] : hooks_) {
    const std::vector<WebhookEvent>& events = hook.config.events;
    if (std::find(events.begin(), events.end(), n.event) == events.end()) continue;
    LIAISON_ASSIGN_OR_RETURN(std::string id_hex, internal::RandomHex(16));
    std::string id = StrCat("dlv_", id_hex);
    LIAISON_ASSIGN_OR_RETURN(std::string body, WebhookPayload(n, id, options_.node_name, time));
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt s,
        db.Prepare("INSERT INTO webhook_outbox (id, webhook, event, job_id, body, state, "
                   "next_attempt, created) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)"));
    s.Bind(1, id)
        .Bind(2, name)
        .Bind(3, WebhookEventName(n.event))
        .Bind(4, n.job ? n.job->id : std::string())
        .Bind(5, body)
        .Bind(6, now_ms)
        .Bind(7, internal::Rfc3339At(clock_.Now()));
    LIAISON_RETURN_IF_ERROR(s.Run());
  }
  return absl::OkStatus();
}

absl::Status WebhookDispatcher::Enqueue(const WebhookNotification& n) {
  LIAISON_RETURN_IF_ERROR(
      store_.Write([&](internal::Db& db) { return EnqueueIn(db, n); }));
  Wake();
  return absl::OkStatus();
}

void WebhookDispatcher::Wake() { worker_.Wake(); }

absl::Status WebhookDispatcher::Start() {
  return worker_.Start([this] { return FailOrphans(); }, [this] { return Step(); });
}

void WebhookDispatcher::Stop() { worker_.Stop(); }

absl::Status WebhookDispatcher::FailOrphans() {
  LIAISON_ASSIGN_OR_RETURN(std::vector<WebhookDelivery> all, ListWebhookDeliveries(store_));
  for (WebhookDelivery& d : all) {
    if (d.state == WebhookDeliveryState::kPending && hooks_.count(d.webhook) == 0) {
      Attempt a;
      a.outcome = Attempt::Outcome::kFail;
      a.error = "the webhook is no longer configured";
      --d.attempts;  // Record counts an attempt; none was made.
      LIAISON_RETURN_IF_ERROR(Record(nullptr, d, a));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Clock::TimePoint>> WebhookDispatcher::NextAttemptTime() {
  std::optional<Clock::TimePoint> next;
  LIAISON_RETURN_IF_ERROR(store_.Read([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt s,
        db.Prepare("SELECT MIN(next_attempt) FROM webhook_outbox WHERE state = 'pending'"));
    LIAISON_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row && !s.IsNull(0)) next = Clock::TimePoint(milliseconds(s.Int(0)));
    return absl::OkStatus();
  }));
  return next;
}

absl::Status WebhookDispatcher::DeliverDue() {
  std::vector<std::pair<WebhookDelivery, std::string>> due;
  LIAISON_RETURN_IF_ERROR(store_.Read([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt s,
        db.Prepare(StrCat("SELECT ", kDeliveryColumns, ", body FROM webhook_outbox "
                          "WHERE state = 'pending' AND next_attempt <= ? "
                          "ORDER BY next_attempt, rowid LIMIT ?")));
    s.Bind(1, UnixMillis(clock_.Now())).Bind(2, kBatch);
    while (true) {
      LIAISON_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return absl::OkStatus();
      due.emplace_back(DeliveryFromRow(s), s.Text(kNumDeliveryColumns));
    }
  }));
  for (const auto& [d, body] : due) {
    if (worker_.stopping()) break;
    auto it = hooks_.find(d.webhook);
    Attempt a;
    if (it == hooks_.end()) {
      a.error = "the webhook is no longer configured";
    } else {
      a = Post(it->second, d, body);
    }
    LIAISON_RETURN_IF_ERROR(Record(it == hooks_.end() ? nullptr : &it->second, d, a));
  }
  return absl::OkStatus();
}

WebhookDispatcher::Attempt WebhookDispatcher::Post(const Hook& hook, const WebhookDelivery& d,
                                                   const std::string& body) {
  const WebhookUrl& url = hook.url;
  const bool v6 = url.host.find(':') != std::string::npos;
  httplib::Client client(StrCat(url.https ? "https://" : "http://", v6 ? "[" : "", url.host,
                                v6 ? "]" : "", ":", url.port));
  const time_t timeout = static_cast<time_t>(hook.config.timeout_seconds);
  client.set_connection_timeout(timeout, 0);
  client.set_read_timeout(timeout, 0);
  client.set_write_timeout(timeout, 0);
  client.set_follow_location(false);
  client.enable_server_certificate_verification(true);

  const int64_t t = UnixSeconds(clock_.Now());
  httplib::Headers headers = {
      {"User-Agent", StrCat("liaison/", kVersion)},
      {"Liaison-Event", d.event},
      {"Liaison-Delivery", d.id},
      {"Liaison-Signature", StrCat("t=", t, ",v1=", WebhookSignature(hook.secret, t, body))},
  };
  httplib::Result res = client.Post(url.path, headers, body, "application/json");
  Attempt a;
  if (!res) {
    a.outcome = Attempt::Outcome::kRetry;
    a.error = StrCat("connection: ", httplib::to_string(res.error()));
    return a;
  }
  const int status = res->status;
  if (status >= 200 && status <= 299) {
    a.outcome = Attempt::Outcome::kDelivered;
    return a;
  }
  a.error = StrCat("HTTP ", status);
  if (IsRetryableStatus(status)) {
    a.outcome = Attempt::Outcome::kRetry;
    if (res->has_header("Retry-After")) {
      a.retry_after = ParseRetryAfter(res->get_header_value("Retry-After"), t);
    }
  } else {
    a.outcome = Attempt::Outcome::kFail;
  }
  return a;
}

std::chrono::milliseconds WebhookDispatcher::Backoff(int64_t attempts) {
  milliseconds d = options_.initial_backoff;
  for (int64_t i = 1; i < attempts && d < options_.max_backoff; ++i) d *= 2;
  d = std::min(d, options_.max_backoff);
  int64_t half = d.count() / 2;
  std::uniform_int_distribution<int64_t> dist(half, d.count());
  return milliseconds(dist(jitter_));
}

absl::Status WebhookDispatcher::Record(const Hook* hook, const WebhookDelivery& d,
                                       const Attempt& a) {
  const int64_t attempts = d.attempts + 1;
  const int64_t now_ms = UnixMillis(clock_.Now());
  const std::string now = internal::Rfc3339At(clock_.Now());
  bool give_up = a.outcome == Attempt::Outcome::kFail ||
                 (a.outcome == Attempt::Outcome::kRetry &&
                  (hook == nullptr || attempts >= hook->config.max_attempts));
  if (a.outcome == Attempt::Outcome::kDelivered || give_up) {
    const bool delivered = a.outcome == Attempt::Outcome::kDelivered;
    AuditEvent event;
    if (!delivered) {
      event.kind = AuditKind::kWebhookFailed;
      event.actor = kActorNode;
      event.job_id = d.job_id;
      event.params_json = Json{{"webhook", d.webhook},
                               {"delivery", d.id},
                               {"event", d.event},
                               {"attempts", attempts},
                               {"error", a.error}}
                              .dump();
      Log(LogLevel::kWarning, StrCat("webhook ", d.webhook, ": gave up delivery ", d.id, " (",
                                     d.event, ") after ", attempts, " attempt(s): ", a.error));
    }
    return store_.Write([&](internal::Db& db) -> absl::Status {
      LIAISON_ASSIGN_OR_RETURN(
          internal::Stmt s,
          db.Prepare("UPDATE webhook_outbox SET state = ?, attempts = ?, last_error = ?, "
                     "finished = ? WHERE id = ? AND state = 'pending'"));
      s.Bind(1, OutcomeStateName(delivered))
          .Bind(2, attempts)
          .Bind(3, a.error)
          .Bind(4, now)
          .Bind(5, d.id);
      LIAISON_RETURN_IF_ERROR(s.Run());
      if (!delivered) LIAISON_RETURN_IF_ERROR(audit_.AppendIn(db, event).status());
      return absl::OkStatus();
    });
  }
  milliseconds delay = a.retry_after ? std::min(*a.retry_after, options_.max_retry_after)
                                     : Backoff(attempts);
  return store_.Write([&](internal::Db& db) -> absl::Status {
    LIAISON_ASSIGN_OR_RETURN(
        internal::Stmt s,
        db.Prepare("UPDATE webhook_outbox SET attempts = ?, next_attempt = ?, last_error = ? "
                   "WHERE id = ? AND state = 'pending'"));
    s.Bind(1, attempts).Bind(2, now_ms + delay.count()).Bind(3, a.error).Bind(4, d.id);
    return s.Run();
  });
}

Clock::TimePoint WebhookDispatcher::Step() {
  absl::Status status = DeliverDue();
  absl::StatusOr<std::optional<Clock::TimePoint>> next = NextAttemptTime();
  if (status.ok()) status = next.status();
  if (!status.ok()) {
    Log(LogLevel::kError, StrCat("webhooks: ", absl::StatusCodeToString(status.code()), ": ",
                                 std::string(status.message())));
    return clock_.Now() + kRetryAfterStoreError;
  }
  return std::min(clock_.Now() + std::chrono::hours(1),
                  next->value_or(Clock::TimePoint::max()));
}

}  // namespace liaison::node
