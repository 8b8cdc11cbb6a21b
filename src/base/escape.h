// Escaping text that came from outside (input files, peers) before a person
// sees it. A byte from an indicator list printed as is can drive the
// terminal: ESC and the C1 controls start escape sequences (an OSC sequence
// can retitle the window or, on some terminals, write files), CR and BS
// overwrite what was printed, and bidirectional-override characters make a
// line read differently from its bytes. Every printer of such text for a
// person — the terminal, a report file — goes through EscapeNonPrintable.
// Machine-readable outputs (result CSV and JSON lines) keep the exact bytes
// instead; see data/output.h.
#ifndef LIAISON_BASE_ESCAPE_H_
#define LIAISON_BASE_ESCAPE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace liaison {

// EscapeNonPrintable returns `s` with everything that is not plainly
// printable written as an escape, so that the result is valid UTF-8 with no
// control or invisible formatting character and reads back unambiguously:
//   '\\'                        -> "\\\\"
//   TAB, LF, CR                 -> "\\t", "\\n", "\\r"
//   other C0 controls and DEL   -> "\\xHH" (upper-case hex)
//   a byte that is not part of valid UTF-8 (stray continuation byte,
//     overlong form, surrogate, above U+10FFFF, truncated sequence)
//                               -> "\\xHH", one per byte
//   C1 controls (U+0080-U+009F), the line and paragraph separators
//     (U+2028, U+2029) and the invisible format characters (soft hyphen,
//     zero-width and bidirectional controls, BOM, interlinear annotation,
//     tag characters)           -> "\\u{XXXX}"
// Everything else — printable ASCII and valid UTF-8 for printable
// characters, e.g. "bücher.example" — is kept as is.
//
// Backslash::kKeep leaves '\\' alone and escapes all the rest the same way:
// for messages liaison writes itself (error messages, reject reasons),
// which may quote input and may already show bytes as "\\xFC"; doubling
// that backslash would only make them harder to read.
enum class Backslash { kEscape, kKeep };
std::string EscapeNonPrintable(std::string_view s, Backslash backslash = Backslash::kEscape);

// EscapeNonPrintableTruncated is EscapeNonPrintable of at most the first
// `max_len` bytes of `s`, cut before a UTF-8 sequence rather than inside
// it, with "..." appended when anything was cut.
std::string EscapeNonPrintableTruncated(std::string_view s, size_t max_len);

// DecodeUtf8Char reads the well-formed UTF-8 sequence at the start of `s`
// (RFC 3629: no overlong form, no surrogate, nothing above U+10FFFF). It
// returns its length, 1 to 4, and sets `cp` to the code point; it returns 0
// when `s` is empty or does not start with such a sequence.
size_t DecodeUtf8Char(std::string_view s, uint32_t& cp);

}  // namespace liaison

#endif  // LIAISON_BASE_ESCAPE_H_
