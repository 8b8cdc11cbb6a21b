#include "node/api_keys.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/strings.h"

namespace liaison::node {
namespace {

absl::StatusOr<std::optional<ApiKey>> FindApiKey(Store& store, std::string_view id) {
  LIAISON_ASSIGN_OR_RETURN(std::vector<ApiKey> keys, store.ListApiKeys());
  for (ApiKey& k : keys) {
    if (k.id == id) return std::optional<ApiKey>(std::move(k));
  }
  return std::optional<ApiKey>();
}

}  // namespace

absl::StatusOr<ApiKey> RevokeApiKeyAudited(Store& store, AuditLog& log, std::string_view id,
                                           std::string_view actor) {
  LIAISON_ASSIGN_OR_RETURN(std::optional<ApiKey> key, FindApiKey(store, id));
  if (!key) return absl::NotFoundError(StrCat("no API key ", id));
  if (key->revoked) return *key;
  LIAISON_RETURN_IF_ERROR(store.RevokeApiKey(id));
  AuditEvent e;
  e.kind = AuditKind::kApiKeyRevoked;
  e.actor = std::string(actor);
  e.params_json = nlohmann::json{{"key_id", key->id},
                                 {"scope", ApiScopeName(key->scope)},
                                 {"label", key->label}}
                      .dump();
  LIAISON_RETURN_IF_ERROR(log.Append(e).status());
  LIAISON_ASSIGN_OR_RETURN(key, FindApiKey(store, id));
  if (!key) return absl::InternalError(StrCat("API key ", id, " vanished while revoked"));
  return *key;
}

}  // namespace liaison::node
