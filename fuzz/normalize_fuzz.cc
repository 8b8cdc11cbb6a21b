// Fuzz target: the normalisation profile (data/profile.h). The first byte
// picks the item type (or auto-detection). Properties checked, beyond not
// crashing: a rejection is InvalidArgument with a reason, and a canonical
// value normalises to itself.
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "data/profile.h"
#include "fuzz_support.h"

namespace {

using liaison::data::Item;
using liaison::data::ItemType;
using liaison::data::Profile;

constexpr int kNumTypes = static_cast<int>(ItemType::kString) + 1;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::optional<ItemType> type;
  if (data[0] % (kNumTypes + 1) < kNumTypes) {
    type = static_cast<ItemType>(data[0] % (kNumTypes + 1));
  }
  const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
  const Profile& p = Profile::V1();
  absl::StatusOr<Item> item = p.Normalize(input, type);
  if (!item.ok()) {
    if (item.status().code() != absl::StatusCode::kInvalidArgument ||
        item.status().message().empty()) {
      std::abort();
    }
    return 0;
  }
  if (type.has_value() && item->type != *type) std::abort();
  absl::StatusOr<Item> again = p.Normalize(item->value, item->type);
  if (!again.ok() || again->value != item->value) std::abort();
  return 0;
}

std::vector<std::string> LiaisonFuzzSeeds() {
  const std::vector<std::pair<int, std::string>> samples = {
      {kNumTypes, "hxxps://User:Pw@BÜCHER.example:443/a/./b/../%7e?q=%2f#F"},
      {static_cast<int>(ItemType::kIpv6), "2001:db8::ffff:1.2.3.4"},
      {static_cast<int>(ItemType::kCidr), "10.0.0.0/8"},
      {static_cast<int>(ItemType::kEmail), "bob[at]evil(dot)example"},
      {static_cast<int>(ItemType::kSha256),
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {static_cast<int>(ItemType::kUrl), "http://[::1]:8080/x"},
      {static_cast<int>(ItemType::kDomain), "xn--bcher-kva.example."},
      {static_cast<int>(ItemType::kIpv4), "192.168.0.1"},
      {static_cast<int>(ItemType::kString), "  Free Text  "},
  };
  std::vector<std::string> seeds;
  for (const auto& [t, s] : samples) {
    seeds.push_back(std::string(1, static_cast<char>(t)) + s);
  }
  return seeds;
}
