// Exact privacy parameters from text. ε, δ, ρ and clamp bounds reach liaison
// as decimal strings (a flag, a REST field, an alliance policy); they are
// parsed here straight into GMP rationals, never through a double, so that
// "0.1" means exactly 1/10 and ten jobs of 0.1 spend exactly a budget of 1.
//
// Grammar (no whitespace, no leading '+'):
//   decimal  := digits [ '.' digits ] [ ('e' | 'E') [ '-' | '+' ] digits ]
// e.g. "1", "0.5", "0.001", "1e-6", "2.5E3". NaN, infinities, hex, ".5" and
// "5." are refused. The exponent is limited to ±kMaxDecimalExponent and the
// text to kMaxDecimalLen characters, so a hostile string cannot make GMP
// build a huge number.
//
// Every error is InvalidArgument and its message starts with the parameter's
// name, e.g. `epsilon: "-1" must be positive`.
#ifndef LIAISON_DP_RATIONAL_H_
#define LIAISON_DP_RATIONAL_H_

#include <gmpxx.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace liaison::dp {

inline constexpr int kMaxDecimalExponent = 300;
inline constexpr size_t kMaxDecimalLen = 100;

// ParseDecimal parses `text` (the grammar above, with an optional leading
// '-') into the exact rational it denotes. `name` names the parameter in
// error messages.
absl::StatusOr<mpq_class> ParseDecimal(std::string_view name,
                                       std::string_view text);

// ParsePositive parses a decimal that must be strictly positive (ε, ρ, a
// budget). Zero and negative values are InvalidArgument naming `name`.
absl::StatusOr<mpq_class> ParsePositive(std::string_view name,
                                        std::string_view text);

// ParseProbability parses a decimal that must lie strictly between 0 and 1
// (δ).
absl::StatusOr<mpq_class> ParseProbability(std::string_view name,
                                           std::string_view text);

// ParseInteger parses a decimal that must be a whole number within int64
// (a clamp bound such as "-1000" or "1e6"); "2.5" is InvalidArgument.
absl::StatusOr<int64_t> ParseInteger(std::string_view name,
                                     std::string_view text);

// FormatRational writes `q` exactly: "3", "-1/10", "1/1000000". This is
// the form machines exchange and store (wire, ledger, JSON strings).
std::string FormatRational(const mpq_class& q);

// FormatDecimal writes `q` for people. A value with a finite decimal
// expansion is written exactly: "0.5", "0.000001", "-1.25", "3", and with
// more than kMaxPlainDecimals decimals in scientific form, "1e-20",
// "1.5e-15". Any other value (1/3) is rounded to six significant digits and
// marked as such: "~0.333333".
std::string FormatDecimal(const mpq_class& q);
inline constexpr int kMaxPlainDecimals = 12;

// ParseRationalText parses FormatRational's output back ("3", "-1/10"); the
// text may come from a peer, so it is bounded by kMaxDecimalLen. InvalidArgument
// naming `name` otherwise.
absl::StatusOr<mpq_class> ParseRationalText(std::string_view name, std::string_view text);

// RationalTextForPeople is FormatDecimal of FormatRational's output `text`
// ("1/2" -> "0.5"), for messages that show a rational received as text; text
// that does not parse is shown escaped (base/escape.h).
std::string RationalTextForPeople(std::string_view text);

}  // namespace liaison::dp

#endif  // LIAISON_DP_RATIONAL_H_
