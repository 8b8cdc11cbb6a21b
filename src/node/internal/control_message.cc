#include "node/internal/control_message.h"

#include "base/build_info.h"
#include "base/status.h"
#include "base/strings.h"
#include "node/peer_protocol.h"

namespace liaison::node::internal {

Json MessageOf(std::string_view type) {
  return Json{{"type", type}, {"v", kPeerProtocolVersion}};
}

absl::Status SendJson(net::Channel& channel, const Json& message) {
  std::string text = message.dump();
  return channel.Send(AsBytes(text));
}

absl::StatusOr<Json> ParseJson(ByteSpan raw, std::string_view type) {
  Json v = Json::parse(AsStringView(raw), nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded() || !v.is_object()) {
    return absl::DataLossError(StrCat("the peer's ", type, " message is not a JSON object"));
  }
  auto t = v.find("type");
  if (t == v.end() || !t->is_string() || t->get<std::string>() != type) {
    return absl::DataLossError(StrCat("expected a ", type, " message from the peer"));
  }
  auto ver = v.find("v");
  if (ver == v.end() || !ver->is_number_integer() || ver->get<int64_t>() != kPeerProtocolVersion) {
    return absl::DataLossError(StrCat("the peer's ", type, " message is not version ",
                                      kPeerProtocolVersion));
  }
  return v;
}

absl::StatusOr<Json> RecvJson(net::Channel& channel, std::string_view type) {
  absl::StatusOr<Bytes> raw = net::RecvAtMost(channel, kMaxControlMessageLen);
  if (absl::IsDataLoss(raw.status())) {
    return absl::DataLossError(StrCat("the peer's ", type, " message: ",
                                      std::string(raw.status().message())));
  }
  if (!raw.ok()) return raw.status();
  return ParseJson(*raw, type);
}

absl::StatusOr<std::string> TypeOf(ByteSpan raw) {
  Json v = Json::parse(AsStringView(raw), nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded() || !v.is_object()) {
    return absl::DataLossError("the peer's first message is not a JSON object");
  }
  auto t = v.find("type");
  if (t == v.end() || !t->is_string() || t->get_ref<const std::string&>().size() > 64) {
    return absl::DataLossError("the peer's first message has no type");
  }
  return t->get<std::string>();
}

absl::StatusOr<std::string> Str(const Json& v, const char* key, size_t max_len) {
  auto it = v.find(key);
  if (it == v.end() || !it->is_string() || it->get_ref<const std::string&>().size() > max_len) {
    return absl::DataLossError(StrCat("field \"", key, "\" is missing or not a short string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<uint64_t> Uint(const Json& v, const char* key) {
  auto it = v.find(key);
  if (it == v.end() || !it->is_number_unsigned()) {
    return absl::DataLossError(StrCat("field \"", key, "\" is missing or not a count"));
  }
  return it->get<uint64_t>();
}

absl::StatusOr<bool> Bool(const Json& v, const char* key) {
  auto it = v.find(key);
  if (it == v.end() || !it->is_boolean()) {
    return absl::DataLossError(StrCat("field \"", key, "\" is missing or not true/false"));
  }
  return it->get<bool>();
}

absl::StatusOr<std::string> BuildField(const Json& v) {
  LIAISON_ASSIGN_OR_RETURN(std::string build, Str(v, "build", 128));
  if (!build.empty() && !IsBuildDigest(build)) {
    return absl::DataLossError("field \"build\" is not a build digest (sha256: and 64 hex)");
  }
  return build;
}

}  // namespace liaison::node::internal
