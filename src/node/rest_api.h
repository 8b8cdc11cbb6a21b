// The node's REST API: HTTPS (net::HttpsServer) on the config's
// rest_listen address, JSON, versioned under /v1, described by
// docs/openapi.json (served at /v1/openapi.json).
//
// TLS: the server presents the node's own identity certificate (node.crt,
// Ed25519, self-signed). Clients pin its key rather than trusting a CA: the
// SHA-256 of the key is the node's fingerprint, which `curl
// --pinnedpubkey sha256//<base64 of the same 32 bytes>` checks
// (docs/node.md, "REST API").
//
// Authentication: every endpoint but /v1/health and /v1/openapi.json needs
// "Authorization: Bearer <API key>" (store.h). A missing, unknown or revoked
// key is 401; a key whose scope is below the endpoint's is 403; either way
// nothing is done. The key is checked from the request's head, before any
// body is read: a request without a valid key costs no more than its
// headers, on any path (an unknown path is 404 only to a valid key). An
// endpoint that takes no body refuses one (400); bodies are JSON of at
// most kMaxJsonBody bytes, whatever the transfer encoding (413 above).
// Errors are {"error": {"code": "...", "message": "..."}}, on every path
// and status, with the HTTP status from HttpStatusFor, the one place codes
// map to HTTP. A body that is not JSON is refused with its line and column.
#ifndef LIAISON_NODE_REST_API_H_
#define LIAISON_NODE_REST_API_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/https_server.h"
#include "node/daemon.h"

namespace liaison::node {

// kMaxJsonBody bounds a request body (a job submission, a refusal's reason).
inline constexpr size_t kMaxJsonBody = 64 * 1024;

// RestLimits are the REST server's limits (net::HttpsServerLimits), the TLS
// handshake deadline from the config's handshake_timeout_seconds. Their
// values are documented in docs/node.md ("Limits").
net::HttpsServerLimits RestLimits(const NodeSection& node);

// ParseJsonBody parses a request body. InvalidArgument naming the line and
// column of the first error (never echoing the body) if it is not JSON.
absl::StatusOr<nlohmann::json> ParseJsonBody(std::string_view body);

// HttpStatusFor maps a status code to its HTTP status: InvalidArgument and
// OutOfRange 400, Unauthenticated 401, PermissionDenied 403, NotFound 404,
// AlreadyExists, FailedPrecondition and Aborted 409, ResourceExhausted 429,
// Unimplemented 501, Unavailable 503, DeadlineExceeded 504, anything else
// (DataLoss, Internal, ...) 500; OK is 200.
int HttpStatusFor(absl::StatusCode code);

// ParseJobSubmission parses the JSON body of POST /v1/jobs: an object with
// string fields alliance, peer and dataset (required), question, protocol,
// peer_dataset, result_to, epsilon, delta, count_epsilon and bounds
// (optional; JobSubmission's defaults). It does
// not check the values against the policy (Daemon::SubmitJob does).
// InvalidArgument for anything else: not JSON, not an object, an unknown
// field, a field that is not a string, a missing required field. The
// messages name fields, never echo values.
absl::StatusOr<JobSubmission> ParseJobSubmission(std::string_view body);

class RestApi : public net::HttpsHandler {
 public:
  // Start binds the daemon's rest_listen address (port 0 picks a free port)
  // and serves on threads of its own. The daemon must outlive the API.
  // Unavailable if the address cannot be bound (also when another process
  // holds it), Internal if the TLS certificate or key cannot be loaded.
  static absl::StatusOr<std::unique_ptr<RestApi>> Start(Daemon& daemon);

  // ~RestApi stops the server and joins its threads.
  ~RestApi() override;
  RestApi(const RestApi&) = delete;
  RestApi& operator=(const RestApi&) = delete;

  uint16_t port() const { return server_->port(); }

  // Stop stops accepting requests and waits for the ones in flight.
  // Idempotent.
  void Stop();

  // HttpsHandler.
  net::Admission Admit(const net::HttpRequest& head) override;
  net::HttpResponse ErrorResponse(int http_status, std::string_view message) override;

  // A request as a route's handler sees it: the path's variable segments in
  // order, and the caller's key (none on public endpoints).
  struct Call {
    const net::HttpRequest& request;
    std::vector<std::string> args;
    const ApiKey* key = nullptr;
  };
  // A handler fills the response and returns OK, or returns the error to
  // answer with.
  using Handler = std::function<absl::Status(const Call&, net::HttpResponse&)>;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "*" matches one segment
    std::optional<ApiScope> scope;      // none: public
    size_t max_body = 0;                // 0: the endpoint takes no body
    Handler handler;
  };

  explicit RestApi(Daemon& daemon);
  void Add(std::string method, std::string_view pattern, std::optional<ApiScope> scope,
           size_t max_body, Handler handler);
  void Routes();
  net::HttpResponse Run(const Route& route, const Call& call);

  Daemon& daemon_;
  std::vector<Route> routes_;
  std::unique_ptr<net::HttpsServer> server_;
};

}  // namespace liaison::node

#endif  // LIAISON_NODE_REST_API_H_
