#include "data/profile.h"

#include <utility>

#include "base/bytes.h"
#include "base/escape.h"
#include "base/status.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "data/internal/detect.h"
#include "data/internal/domain.h"
#include "data/internal/hex_digest.h"
#include "data/internal/ip.h"
#include "data/internal/profile_v1.h"
#include "data/internal/refang.h"
#include "data/internal/text.h"
#include "data/internal/url.h"

namespace liaison::data {
namespace {

constexpr ItemType kAllTypes[] = {
    ItemType::kIpv4,   ItemType::kIpv6,   ItemType::kCidr,  ItemType::kDomain,
    ItemType::kUrl,    ItemType::kEmail,  ItemType::kMd5,   ItemType::kSha1,
    ItemType::kSha256, ItemType::kSha512, ItemType::kString};

size_t HexDigestDigits(ItemType type) {
  switch (type) {
    case ItemType::kMd5:
      return 32;
    case ItemType::kSha1:
      return 40;
    case ItemType::kSha256:
      return 64;
    case ItemType::kSha512:
      return 128;
    default:
      return 0;
  }
}

// CountLabels counts the labels of a canonical domain.
size_t CountLabels(std::string_view domain) {
  size_t n = 1;
  for (char c : domain) n += c == '.';
  return n;
}

}  // namespace

std::string_view TypeName(ItemType type) {
  switch (type) {
    case ItemType::kIpv4:
      return "ipv4";
    case ItemType::kIpv6:
      return "ipv6";
    case ItemType::kCidr:
      return "cidr";
    case ItemType::kDomain:
      return "domain";
    case ItemType::kUrl:
      return "url";
    case ItemType::kEmail:
      return "email";
    case ItemType::kMd5:
      return "md5";
    case ItemType::kSha1:
      return "sha1";
    case ItemType::kSha256:
      return "sha256";
    case ItemType::kSha512:
      return "sha512";
    case ItemType::kString:
      return "string";
  }
  return "unknown";
}

absl::StatusOr<ItemType> ParseTypeName(std::string_view name) {
  std::string names;
  for (ItemType t : kAllTypes) {
    if (internal::EqualsIgnoreAsciiCase(name, TypeName(t))) return t;
    StrAppend(names, names.empty() ? "" : ", ", TypeName(t));
  }
  return internal::Invalid(StrCat("unknown item type '", EscapeNonPrintableTruncated(name, 32),
                                  "'; valid types are: ", names));
}

std::string MatchKey(const Item& item) {
  return StrCat(TypeName(item.type), std::string_view("\0", 1), item.value);
}

const Profile& Profile::V1() {
  static const Profile* v1 =
      new Profile("liaison-indicators", 1, internal::ProfileV1Definition());
  return *v1;
}

std::string Profile::DigestOf(std::string_view definition) {
  return ToHex(crypto::Sha256(AsBytes(definition)));
}

Profile::Profile(std::string name, int version, std::string_view definition)
    : name_(std::move(name)),
      version_(version),
      definition_(definition),
      digest_(DigestOf(definition)) {}

absl::StatusOr<Item> Profile::Normalize(std::string_view raw,
                                        std::optional<ItemType> type) const {
  std::string_view trimmed = internal::TrimAsciiSpace(raw);
  if (trimmed.empty()) return internal::Invalid("empty value");
  if (type.has_value()) return NormalizeAs(trimmed, *type);
  return NormalizeAuto(trimmed);
}

absl::StatusOr<Item> Profile::NormalizeAs(std::string_view trimmed,
                                          ItemType type) const {
  absl::StatusOr<std::string> value;
  switch (type) {
    case ItemType::kString:
      return Item{type, std::string(trimmed)};
    case ItemType::kMd5:
    case ItemType::kSha1:
    case ItemType::kSha256:
    case ItemType::kSha512:
      value = internal::NormalizeHexDigest(trimmed, TypeName(type),
                                           HexDigestDigits(type));
      break;
    case ItemType::kIpv4:
      value = internal::NormalizeIpv4(internal::Refang(trimmed));
      break;
    case ItemType::kIpv6:
      value = internal::NormalizeIpv6(internal::Refang(trimmed));
      break;
    case ItemType::kCidr:
      value = internal::NormalizeCidr(internal::Refang(trimmed));
      break;
    case ItemType::kDomain:
      value = internal::NormalizeDomain(internal::Refang(trimmed));
      break;
    case ItemType::kUrl:
      value = internal::NormalizeUrl(internal::Refang(trimmed));
      break;
    case ItemType::kEmail:
      value = internal::NormalizeEmail(internal::Refang(trimmed));
      break;
  }
  if (!value.ok()) return std::move(value).status();
  return Item{type, *std::move(value)};
}

absl::StatusOr<Item> Profile::NormalizeAuto(std::string_view trimmed) const {
  std::string refanged = internal::Refang(trimmed);
  std::optional<ItemType> candidate = internal::DetectCandidateType(refanged);
  if (!candidate.has_value()) return internal::Invalid(kNotRecognisedReason);
  if (*candidate == ItemType::kDomain) {
    auto domain = internal::NormalizeDomain(refanged);
    if (!domain.ok() || CountLabels(*domain) < 2) {
      return internal::Invalid(kNotRecognisedReason);
    }
    return Item{ItemType::kDomain, *std::move(domain)};
  }
  // Refanging is idempotent, so normalising the refanged value as the
  // candidate type gives the same result as normalising `trimmed`.
  return NormalizeAs(refanged, *candidate);
}

}  // namespace liaison::data
