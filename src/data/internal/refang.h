// Refanging: undoing the "defanging" analysts apply to indicators so that
// they cannot be clicked or resolved by accident ("hxxp://evil[.]example").
#ifndef LIAISON_DATA_INTERNAL_REFANG_H_
#define LIAISON_DATA_INTERNAL_REFANG_H_

#include <string>
#include <string_view>

namespace liaison::data::internal {

// Refang applies the profile v1 refang rules to `s`:
//   1. "[://]" becomes "://";
//   2. "[.]", "(.)", "{.}", "[dot]", "(dot)" become "." ("dot" in any case);
//   3. "[at]", "(at)", "[@]" become "@" ("at" in any case);
//   4. "[:]" becomes ":";
// applied until none matches, so nested forms such as "([.])" become "."
// too; then
//   5. a leading "hxxp" or "hxxps" (any case) followed by ':' becomes
//      "http"/"https" (the x's become 't'; other letters keep their case).
// Matches of rules 1-4 can never overlap (each starts with an opening
// bracket, ends with a closing one and has none inside), so the result does
// not depend on the order of replacements; it is computed in one linear
// pass. The result is a fixed point: Refang(Refang(s)) == Refang(s).
// Thread-safe.
std::string Refang(std::string_view s);

}  // namespace liaison::data::internal

#endif  // LIAISON_DATA_INTERNAL_REFANG_H_
