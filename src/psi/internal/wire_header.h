// The opening of every two-party protocol's header message (docs/wire/):
// a magic number naming the protocol, its version, then one-byte flags.
// The header is the first message each side sends; the readers here give
// the same errors for every protocol: DataLoss for a message that is not
// this protocol's header or has a flag out of range, FailedPrecondition
// for another version (whose layout is not read further).
#ifndef LIAISON_PSI_INTERNAL_WIRE_HEADER_H_
#define LIAISON_PSI_INTERNAL_WIRE_HEADER_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/bytes.h"

namespace liaison::psi::internal {

// WireProtocol names a protocol on the wire.
struct WireProtocol {
  std::string_view name;  // as in messages: "rr22-psi"
  uint32_t magic;         // four ASCII letters, little-endian
  uint32_t version;
};

// WriteHeaderStart writes the magic and the version.
void WriteHeaderStart(ByteWriter& w, const WireProtocol& p);

// ReadHeaderStart reads and checks the magic and the version.
absl::Status ReadHeaderStart(ByteReader& r, const WireProtocol& p);

// ReadFlag reads a one-byte field that must be at most `max` (1 for a
// yes/no flag), naming `what` in the error.
absl::StatusOr<uint8_t> ReadFlag(ByteReader& r, const WireProtocol& p, std::string_view what,
                                 uint8_t max = 1);

}  // namespace liaison::psi::internal

#endif  // LIAISON_PSI_INTERNAL_WIRE_HEADER_H_
