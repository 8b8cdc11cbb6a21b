#include "data/internal/profile_v1.h"

namespace liaison::data::internal {

namespace {

// Keep every line free of trailing whitespace; the digest covers each byte.
constexpr std::string_view kDefinition = R"def(liaison normalisation profile
name: liaison-indicators
version: 1
digest: lower-case hex SHA-256 of this text, every byte as written (UTF-8, LF line ends)

[types]
names: ipv4 ipv6 cidr domain url email md5 sha1 sha256 sha512 string
match-key: type name, one 0x00 byte, canonical value

[every type]
trim: remove ASCII whitespace (0x09-0x0D, 0x20) at both ends; nothing else is trimmed
empty: a value that is empty after trimming is rejected

[refang]
applies-to: ipv4 ipv6 cidr domain url email, and auto-detection; never md5 sha1 sha256 sha512 string
rule-1: "[://]" becomes "://"
rule-2: "[.]" "(.)" "{.}" "[dot]" "(dot)" become "." ("dot" in any case)
rule-3: "[at]" "(at)" "[@]" become "@" ("at" in any case)
rule-4: "[:]" becomes ":"
repeat: rules 1-4 are applied until none matches, so "([.])" becomes "."; matches cannot overlap, so the order of replacements does not matter
rule-5: then, at the start of the value, "h", two "x", "p", optional "s", then ":" (letters in any case): the two "x" become "tt"

[ipv4]
form: exactly 4 octets separated by "."; each octet 1-3 decimal digits, value 0-255
leading-zero: an octet with a leading zero ("010") is rejected, as octal and decimal readings differ
canonical: dotted decimal without leading zeros

[ipv6]
input: RFC 4291 section 2.2 text; groups of 1-4 hex digits in any case; at most one "::"; an optional dotted-quad tail by the ipv4 rules
rejected: zone ids ("%..."), brackets
canonical: RFC 5952 section 4: lower-case hex, no leading zeros, the longest run of two or more zero groups becomes "::" (the first run on ties), a single zero group stays "0"
ipv4-mapped: ::ffff:0:0/96 is written "::ffff:" followed by the dotted quad (RFC 5952 section 5); every other address is all hex
ipv4-vs-ipv6: an ipv4-mapped ipv6 address is an ipv6 item, never converted to ipv4

[cidr]
form: address "/" prefix-length; ipv6 when the address contains ":", else ipv4; the address by the ipv4 or ipv6 rules
prefix-length: decimal without leading zeros, 0-32 for ipv4, 0-128 for ipv6
host-bits: an address with any bit set beyond the prefix length is rejected (the reason names the network); nothing is masked
canonical: canonical address "/" decimal prefix length; a /32 or /128 stays a cidr item

[domain]
utf-8: a value with any non-ASCII byte must be valid UTF-8 (RFC 3629) without control characters (U+0080-U+009F), else it is rejected
idna: a value with any non-ASCII byte is converted as a whole by UTS #46 non-transitional processing with NFC input (libidn2 idn2_lookup_u8, flags IDN2_NFC_INPUT|IDN2_NONTRANSITIONAL, no STD3 flag); this lower-cases, maps full-width dots, and writes IDNA2008 A-labels
ascii: an all-ASCII value is lower-cased (A-Z to a-z); each label starting "xn--" must pass the same libidn2 call unchanged
trailing-dot: one trailing "." is removed
labels: 1-63 octets each; letters, digits and "-" only (no "_"); no "-" at the start or end of a label
length: at most 253 octets after removing the trailing dot
tld: the last label is not all digits
canonical: lower-case A-label form, labels joined by "."

[url]
controls: ASCII control characters (0x00-0x1F, 0x7F) are rejected
scheme-required: the value starts with a scheme (a letter, then letters, digits, "+" "-" "."), then ":"
pre-encode: before parsing, these bytes become %XX with upper-case hex: 0x80-0xFF, space, '"' "<" ">" "\" "^" "`" "{" "|" "}"; "[" and "]" outside the authority; "#" after the first "#"; "%" not followed by two hex digits
parse: RFC 3986 URI grammar (liburiparser); anything else is rejected
scheme: lower-cased
percent-encoding: in user info, path, query and fragment, %XX of an unreserved character (A-Z a-z 0-9 "-" "." "_" "~") is decoded and every other %XX uses upper-case hex
host: a reg-name is fully percent-decoded; if it is only digits and "." it follows the ipv4 rules, otherwise the domain rules; an IP literal follows the ipv6 rules inside "[" "]"; IPvFuture is rejected; an empty host is kept except for the schemes with a default port
port: decimal without leading zeros, at most 65535; an empty port or the scheme's default port is removed
default-ports: ftp 21, http 80, https 443, ws 80, wss 443
authority-required: ftp http https ws wss need "//" and a non-empty host
path: in a path starting with "/", dot segments are removed (RFC 3986 section 5.2.4); for ftp http https ws wss an empty path becomes "/"; without an authority a path starting "//" is written "/.//..."
user-info, query, fragment: kept except for percent-encoding; an empty query "?" or fragment "#" is kept
canonical: scheme ":" ["//" [user-info "@"] host [":" port]] path ["?" query] ["#" fragment]

[email]
split: at the last "@"
local-part: kept byte for byte (case-sensitive); 1-64 octets of valid UTF-8 (RFC 3629); rejected if it holds a space or a control character (0x00-0x1F, 0x7F, U+0080-U+009F)
domain-part: the domain rules
canonical: local-part "@" canonical domain

[md5 sha1 sha256 sha512]
form: exactly 32, 40, 64 or 128 hex digits; no prefix or separator is removed
canonical: lower-case hex

[string]
canonical: the trimmed bytes exactly; no refang, no case change, no Unicode normalisation

[auto-detection]
when: no type is given; the value is trimmed and refanged, then the first matching rule picks the type
rule-1: url if it starts with a scheme followed by "://"
rule-2: email if it contains "@"
rule-3: cidr if it contains "/" and the part before the first "/" is non-empty, only hex digits "." ":", and contains "." or ":"; any other value with "/" is not recognised
rule-4: ipv6 if it contains ":" and the part before any "%" is only hex digits "." ":"; any other value with ":" is not recognised
rule-5: ipv4 if it is only digits and ".", with at least one "."
rule-6: md5 sha1 sha256 sha512 if it is only hex digits, 32 40 64 or 128 of them
rule-7: domain if it contains ".", passes the domain rules and has at least two labels
result: the value is normalised as the picked type, and a failure is reported with that type's reason; a value no rule picks, or a domain candidate that fails, is rejected as "not a recognised indicator type (give --type string to match it exactly)"
)def";

}  // namespace

std::string_view ProfileV1Definition() { return kDefinition; }

}  // namespace liaison::data::internal
