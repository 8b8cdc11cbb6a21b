// The node's REST API: HTTPS (cpp-httplib with OpenSSL) on the config's
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
// nothing is done. Errors are {"error": {"code": "...", "message": "..."}}
// with the HTTP status from HttpStatusFor, the one place codes map to HTTP.
#ifndef LIAISON_NODE_REST_API_H_
#define LIAISON_NODE_REST_API_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/daemon.h"

namespace httplib {
class SSLServer;
}  // namespace httplib

namespace liaison::node {

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

class RestApi {
 public:
  // Start binds the daemon's rest_listen address (port 0 picks a free port)
  // and serves on a thread of its own. The daemon must outlive the API.
  // Unavailable if the address cannot be bound, Internal if the TLS
  // certificate or key cannot be loaded.
  static absl::StatusOr<std::unique_ptr<RestApi>> Start(Daemon& daemon);

  // ~RestApi stops the server and joins its thread.
  ~RestApi();
  RestApi(const RestApi&) = delete;
  RestApi& operator=(const RestApi&) = delete;

  uint16_t port() const { return port_; }

  // Stop stops accepting requests and waits for the ones in flight.
  // Idempotent.
  void Stop();

 private:
  explicit RestApi(Daemon& daemon);
  void Routes();

  Daemon& daemon_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

}  // namespace liaison::node

#endif  // LIAISON_NODE_REST_API_H_
