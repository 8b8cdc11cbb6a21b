// Normalisation profiles: the rules that turn an indicator as written by a
// person or a feed into the one canonical byte string both sides of a match
// compare. Matching is exact, so both parties must use the same profile; its
// digest is part of every session and a mismatch stops the session before
// any data moves.
//
// Profile v1 ("liaison-indicators") covers network and file indicators:
// IPv4, IPv6 (RFC 5952), CIDR, domains (IDNA A-labels), URLs (RFC 3986
// section 6), e-mail addresses, MD5/SHA-1/SHA-256/SHA-512 hashes and exact
// strings, with defanged input ("hxxp", "[.]", "[at]") refanged. The rules
// are stated in full in src/data/internal/profile_v1.cc.
#ifndef LIAISON_DATA_PROFILE_H_
#define LIAISON_DATA_PROFILE_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace liaison::data {

enum class ItemType {
  kIpv4,
  kIpv6,
  kCidr,
  kDomain,
  kUrl,
  kEmail,
  kMd5,
  kSha1,
  kSha256,
  kSha512,
  kString,
};

// TypeName returns the wire and command-line name of `type`: "ipv4", "ipv6",
// "cidr", "domain", "url", "email", "md5", "sha1", "sha256", "sha512",
// "string". These names are part of every match key; never change them.
std::string_view TypeName(ItemType type);

// ParseTypeName is the inverse of TypeName; it ignores ASCII case. It returns
// InvalidArgument listing the valid names for anything else.
absl::StatusOr<ItemType> ParseTypeName(std::string_view name);

// Item is one normalised indicator: its type and canonical value.
struct Item {
  ItemType type;
  std::string value;

  friend bool operator==(const Item&, const Item&) = default;
};

// MatchKey returns the byte string the PSI protocols compare: the type name,
// one NUL byte, then the canonical value. Including the type keeps, say, the
// string "1.2.3.4" and the ipv4 1.2.3.4 apart.
std::string MatchKey(const Item& item);

// Profile is one immutable, versioned set of normalisation rules. Instances
// live for the whole program; all methods are thread-safe.
class Profile {
 public:
  // V1 returns profile "liaison-indicators" version 1.
  static const Profile& V1();

  // DigestOf returns the lower-case hex SHA-256 of a definition text. A
  // profile's digest is DigestOf(definition()).
  static std::string DigestOf(std::string_view definition);

  Profile(const Profile&) = delete;
  Profile& operator=(const Profile&) = delete;

  // name returns the profile's name, "liaison-indicators" for V1.
  std::string_view name() const { return name_; }
  // version returns the profile's version, 1 for V1.
  int version() const { return version_; }
  // definition returns the canonical definition text: every rule and its
  // parameters in words. See internal/profile_v1.h for how it is built.
  std::string_view definition() const { return definition_; }
  // digest returns DigestOf(definition()): 64 lower-case hex digits. Any
  // change to the rules changes it.
  const std::string& digest() const { return digest_; }

  // Normalize canonicalises `raw` as `type`, or auto-detects the type when
  // `type` is empty (the detection rules are in the definition text). On
  // failure it returns InvalidArgument whose message is a short reason for a
  // person ("ipv4 octet out of range", "sha256 must be 64 hex digits, got
  // 63"); the message quotes at most one character of `raw`.
  absl::StatusOr<Item> Normalize(std::string_view raw,
                                 std::optional<ItemType> type) const;

 private:
  Profile(std::string name, int version, std::string_view definition);

  absl::StatusOr<Item> NormalizeAs(std::string_view trimmed,
                                   ItemType type) const;
  absl::StatusOr<Item> NormalizeAuto(std::string_view trimmed) const;

  std::string name_;
  int version_;
  std::string_view definition_;
  std::string digest_;
};

// kNotRecognisedReason is the reason auto-detection gives for a value that
// is no known indicator type.
inline constexpr std::string_view kNotRecognisedReason =
    "not a recognised indicator type (give --type string to match it exactly)";

}  // namespace liaison::data

#endif  // LIAISON_DATA_PROFILE_H_
