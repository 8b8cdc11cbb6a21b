#include "data/internal/hex_digest.h"

#include "base/strings.h"
#include "data/internal/text.h"

namespace liaison::data::internal {

absl::StatusOr<std::string> NormalizeHexDigest(std::string_view s,
                                               std::string_view type_name,
                                               size_t num_digits) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (!IsHexDigit(s[i])) {
      return Invalid(StrCat(type_name, " must be hex digits only, found ",
                            DescribeChar(s[i]), " at offset ", i));
    }
  }
  if (s.size() != num_digits) {
    return Invalid(StrCat(type_name, " must be ", num_digits,
                          " hex digits, got ", s.size()));
  }
  return AsciiLowerCopy(s);
}

}  // namespace liaison::data::internal
