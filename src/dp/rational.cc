#include "dp/rational.h"

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "base/strings.h"

namespace liaison::dp {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Quoted shows the offending text in an error; it is a public parameter,
// cut short so a huge input does not make a huge message.
std::string Quoted(std::string_view text) {
  constexpr size_t kShown = 40;
  if (text.size() <= kShown) return StrCat("\"", text, "\"");
  return StrCat("\"", text.substr(0, kShown), "...\"");
}

absl::Status Invalid(std::string_view name, std::string_view text,
                     std::string_view why) {
  return absl::InvalidArgumentError(StrCat(name, ": ", Quoted(text), " ", why));
}

// TakeDigits advances `pos` over a run of digits and returns it.
std::string_view TakeDigits(std::string_view text, size_t& pos) {
  const size_t start = pos;
  while (pos < text.size() && IsDigit(text[pos])) ++pos;
  return text.substr(start, pos - start);
}

mpz_class PowerOfTen(unsigned long exponent) {
  mpz_class out;
  mpz_ui_pow_ui(out.get_mpz_t(), 10, exponent);
  return out;
}

}  // namespace

absl::StatusOr<mpq_class> ParseDecimal(std::string_view name,
                                       std::string_view text) {
  if (text.empty())
    return Invalid(name, text, "is empty; expected a decimal number");
  if (text.size() > kMaxDecimalLen) {
    return Invalid(name, text,
                   StrCat("is longer than ", kMaxDecimalLen, " characters"));
  }
  const auto not_decimal = [&] {
    return Invalid(name, text, "is not a decimal number (e.g. 0.5, 1, 1e-6)");
  };
  size_t pos = 0;
  const bool negative = text[0] == '-';
  if (negative) ++pos;
  const std::string_view int_part = TakeDigits(text, pos);
  if (int_part.empty()) return not_decimal();
  std::string_view frac_part;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    frac_part = TakeDigits(text, pos);
    if (frac_part.empty()) return not_decimal();
  }
  long exponent = 0;
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    bool exp_negative = false;
    if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) {
      exp_negative = text[pos] == '-';
      ++pos;
    }
    const std::string_view exp_digits = TakeDigits(text, pos);
    if (exp_digits.empty()) return not_decimal();
    for (char c : exp_digits) {
      exponent = exponent * 10 + (c - '0');
      if (exponent > kMaxDecimalExponent) {
        return Invalid(name, text,
                       StrCat("has an exponent beyond ±", kMaxDecimalExponent));
      }
    }
    if (exp_negative) exponent = -exponent;
  }
  if (pos != text.size()) return not_decimal();

  // value = digits(int_part frac_part) * 10^(exponent - |frac_part|).
  const std::string digits = StrCat(int_part, frac_part);
  mpz_class mantissa;
  if (mantissa.set_str(digits, 10) != 0) return not_decimal();
  if (negative) mantissa = -mantissa;
  const long scale = exponent - static_cast<long>(frac_part.size());
  mpq_class out;
  if (scale >= 0) {
    out = mpq_class(mantissa * PowerOfTen(static_cast<unsigned long>(scale)));
  } else {
    out = mpq_class(mantissa, PowerOfTen(static_cast<unsigned long>(-scale)));
    out.canonicalize();
  }
  return out;
}

absl::StatusOr<mpq_class> ParsePositive(std::string_view name,
                                        std::string_view text) {
  absl::StatusOr<mpq_class> q = ParseDecimal(name, text);
  if (!q.ok()) return q.status();
  if (sgn(*q) <= 0) return Invalid(name, text, "must be positive");
  return q;
}

absl::StatusOr<mpq_class> ParseProbability(std::string_view name,
                                           std::string_view text) {
  absl::StatusOr<mpq_class> q = ParseDecimal(name, text);
  if (!q.ok()) return q.status();
  if (sgn(*q) <= 0 || *q >= 1)
    return Invalid(name, text, "must lie strictly between 0 and 1");
  return q;
}

absl::StatusOr<int64_t> ParseInteger(std::string_view name,
                                     std::string_view text) {
  absl::StatusOr<mpq_class> q = ParseDecimal(name, text);
  if (!q.ok()) return q.status();
  if (q->get_den() != 1) return Invalid(name, text, "must be a whole number");
  const mpz_class& n = q->get_num();
  if (!mpz_fits_slong_p(n.get_mpz_t()))
    return Invalid(name, text, "is outside the 64-bit range");
  static_assert(sizeof(long) == sizeof(int64_t), "GMP's long must be 64 bits");
  return static_cast<int64_t>(n.get_si());
}

std::string FormatRational(const mpq_class& q) { return q.get_str(10); }

}  // namespace liaison::dp
