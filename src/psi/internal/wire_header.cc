#include "psi/internal/wire_header.h"

#include "base/status.h"
#include "base/strings.h"

namespace liaison::psi::internal {

void WriteHeaderStart(ByteWriter& w, const WireProtocol& p) {
  w.U32(p.magic);
  w.U32(p.version);
}

absl::Status ReadHeaderStart(ByteReader& r, const WireProtocol& p) {
  LIAISON_ASSIGN_OR_RETURN(uint32_t magic, r.U32(StrCat(p.name, " magic")));
  if (magic != p.magic) {
    return absl::DataLossError(StrCat("peer message is not a ", p.name, " header"));
  }
  LIAISON_ASSIGN_OR_RETURN(uint32_t version, r.U32(StrCat(p.name, " version")));
  if (version != p.version) {
    return absl::FailedPreconditionError(StrCat("the peer runs ", p.name, " version ", version,
                                                ", we run version ", p.version));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint8_t> ReadFlag(ByteReader& r, const WireProtocol& p, std::string_view what,
                                 uint8_t max) {
  LIAISON_ASSIGN_OR_RETURN(uint8_t v, r.U8(StrCat(p.name, " ", what)));
  if (v > max) {
    return absl::DataLossError(StrCat(p.name, " header has ", what, " out of range (", v, ")"));
  }
  return v;
}

}  // namespace liaison::psi::internal
