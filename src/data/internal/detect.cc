#include "data/internal/detect.h"

#include "data/internal/text.h"
#include "data/internal/url.h"

namespace liaison::data::internal {
namespace {

bool IsIpChar(char c) { return IsHexDigit(c) || c == '.' || c == ':'; }

bool AllOf(std::string_view s, bool (*pred)(char)) {
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

}  // namespace

std::optional<ItemType> DetectCandidateType(std::string_view s) {
  if (HasUrlScheme(s)) return ItemType::kUrl;
  if (s.find('@') != std::string_view::npos) return ItemType::kEmail;
  size_t slash = s.find('/');
  if (slash != std::string_view::npos) {
    std::string_view addr = s.substr(0, slash);
    if (!addr.empty() && AllOf(addr, IsIpChar) &&
        addr.find_first_of(".:") != std::string_view::npos) {
      return ItemType::kCidr;
    }
    return std::nullopt;
  }
  if (s.find(':') != std::string_view::npos) {
    if (AllOf(s.substr(0, s.find('%')), IsIpChar)) return ItemType::kIpv6;
    return std::nullopt;
  }
  if (s.find('.') != std::string_view::npos &&
      AllOf(s, [](char c) { return IsDigit(c) || c == '.'; })) {
    return ItemType::kIpv4;
  }
  if (AllOf(s, IsHexDigit)) {
    switch (s.size()) {
      case 32:
        return ItemType::kMd5;
      case 40:
        return ItemType::kSha1;
      case 64:
        return ItemType::kSha256;
      case 128:
        return ItemType::kSha512;
      default:
        return std::nullopt;
    }
  }
  if (s.find('.') != std::string_view::npos) return ItemType::kDomain;
  return std::nullopt;
}

}  // namespace liaison::data::internal
