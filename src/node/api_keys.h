// Revoking a REST API key, with its audit record: the one path the CLI
// (`liaison node apikey revoke`) and the REST API (admin scope) share.
#ifndef LIAISON_NODE_API_KEYS_H_
#define LIAISON_NODE_API_KEYS_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "node/audit.h"
#include "node/store.h"

namespace liaison::node {

// RevokeApiKeyAudited revokes the key `id`, which every request is refused
// with from then on (401), and appends api_key_revoked (params key_id,
// scope, label) to `log` with `actor`. It returns the key as revoked.
// Revoking a revoked key changes nothing and records nothing; NotFound if
// there is no such key.
absl::StatusOr<ApiKey> RevokeApiKeyAudited(Store& store, AuditLog& log, std::string_view id,
                                           std::string_view actor);

}  // namespace liaison::node

#endif  // LIAISON_NODE_API_KEYS_H_
