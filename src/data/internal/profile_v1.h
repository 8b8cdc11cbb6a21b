// The definition text of normalisation profile v1 ("liaison-indicators").
#ifndef LIAISON_DATA_INTERNAL_PROFILE_V1_H_
#define LIAISON_DATA_INTERNAL_PROFILE_V1_H_

#include <string_view>

namespace liaison::data::internal {

// ProfileV1Definition returns the canonical definition text of profile v1:
// plain UTF-8 with LF line endings that states, in words, every rule the
// code applies and every parameter (limits, flags, tables, the order of
// auto-detection). Profile::digest() is the SHA-256 of exactly these bytes.
//
// How it is built: one "key: value" line per rule, grouped under
// "[section]" headings, in the order the rules are applied. The text is
// written by hand next to the code; whoever changes a rule in
// src/data/internal/*.cc must change the matching line here (which changes
// the digest, which the pinned-digest test then makes them acknowledge) and,
// for a change that alters any canonical value, bump the profile version.
std::string_view ProfileV1Definition();

}  // namespace liaison::data::internal

#endif  // LIAISON_DATA_INTERNAL_PROFILE_V1_H_
