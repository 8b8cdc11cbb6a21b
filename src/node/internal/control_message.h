// The control messages of the peer port (node/peer_protocol.h,
// node/quorum_protocol.h): one JSON object a channel frame, with a "type"
// and the peer protocol's version "v", at most kMaxControlMessageLen bytes.
// These helpers send them and read them back with the checks every reader
// makes; a malformed message or field is DataLoss naming it. Not for code
// outside node/.
#ifndef LIAISON_NODE_INTERNAL_CONTROL_MESSAGE_H_
#define LIAISON_NODE_INTERNAL_CONTROL_MESSAGE_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "net/channel.h"

namespace liaison::node::internal {

using Json = nlohmann::json;

// MessageOf is a message of `type`, with the protocol version.
Json MessageOf(std::string_view type);

// SendJson sends `message` as one frame.
absl::Status SendJson(net::Channel& channel, const Json& message);

// ParseJson reads one received frame as a message of `type` (its "type"
// and "v" checked); DataLoss otherwise.
absl::StatusOr<Json> ParseJson(ByteSpan raw, std::string_view type);

// RecvJson receives one frame and reads it as ParseJson does; the
// channel's errors otherwise (a frame over kMaxControlMessageLen is
// DataLoss).
absl::StatusOr<Json> RecvJson(net::Channel& channel, std::string_view type);

// TypeOf returns the "type" of a received frame, without other checks;
// DataLoss if it is not a JSON object with a string "type".
absl::StatusOr<std::string> TypeOf(ByteSpan raw);

// Str, Uint and Bool read a field of a message; a missing field or one of
// another type (a string over `max_len` bytes) is DataLoss naming it.
absl::StatusOr<std::string> Str(const Json& v, const char* key, size_t max_len = 256);
absl::StatusOr<uint64_t> Uint(const Json& v, const char* key);
absl::StatusOr<bool> Bool(const Json& v, const char* key);

// BuildField reads the "build" of an offer or verdict: "" or a build
// digest (base/build_info.h).
absl::StatusOr<std::string> BuildField(const Json& v);

}  // namespace liaison::node::internal

#endif  // LIAISON_NODE_INTERNAL_CONTROL_MESSAGE_H_
