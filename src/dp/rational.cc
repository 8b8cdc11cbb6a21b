#include "dp/rational.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "base/escape.h"
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

std::string FormatDecimal(const mpq_class& q) {
  mpq_class v = abs(q);
  v.canonicalize();
  const std::string sign = q < 0 ? "-" : "";
  // A reduced fraction has a finite decimal expansion iff its denominator
  // is 2^a·5^b; then it is n / 10^k with k = max(a, b).
  mpz_class rest = v.get_den();
  unsigned long twos = 0, fives = 0;
  while (mpz_divisible_ui_p(rest.get_mpz_t(), 2)) rest /= 2, ++twos;
  while (mpz_divisible_ui_p(rest.get_mpz_t(), 5)) rest /= 5, ++fives;
  if (rest != 1) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "~%s%.6g", sign.c_str(), v.get_d());
    return buf;
  }
  const unsigned long k = std::max(twos, fives);
  mpz_class ten_k;
  mpz_ui_pow_ui(ten_k.get_mpz_t(), 10, k);
  const mpz_class n = v.get_num() * ten_k / v.get_den();  // exact
  const std::string digits = n.get_str(10);
  std::string out = sign;
  if (k == 0) return out.append(digits);
  if (k <= static_cast<unsigned long>(kMaxPlainDecimals)) {
    // At least one digit before the point: 1/8 is 125 × 10^-3, "0.125".
    std::string padded(k + 1 > digits.size() ? k + 1 - digits.size() : 0, '0');
    padded.append(digits);
    const size_t point = padded.size() - k;
    out.append(padded, 0, point);
    out.push_back('.');
    return out.append(padded, point, std::string::npos);
  }
  // d.ddd × 10^(len - 1 - k); n has no trailing zero (k is minimal).
  const long exponent = static_cast<long>(digits.size()) - 1 - static_cast<long>(k);
  out.push_back(digits[0]);
  if (digits.size() > 1) {
    out.push_back('.');
    out.append(digits, 1, std::string::npos);
  }
  StrAppend(out, "e", exponent);
  return out;
}

absl::StatusOr<mpq_class> ParseRationalText(std::string_view name, std::string_view text) {
  const bool ok = !text.empty() && text.size() <= kMaxDecimalLen &&
                  text.find_first_not_of("-/0123456789") == std::string_view::npos;
  mpq_class q;
  if (!ok || q.set_str(std::string(text), 10) != 0 || q.get_den() == 0) {
    return absl::InvalidArgumentError(StrCat(name, ": ", Quoted(text), " is not a rational"));
  }
  q.canonicalize();
  return q;
}

std::string RationalTextForPeople(std::string_view text) {
  absl::StatusOr<mpq_class> q = ParseRationalText("value", text);
  return q.ok() ? FormatDecimal(*q) : EscapeNonPrintable(text);
}

}  // namespace liaison::dp
