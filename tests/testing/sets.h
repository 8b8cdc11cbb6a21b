// Fixture data for protocol tests: two sets with a known intersection.
#ifndef LIAISON_TESTS_TESTING_SETS_H_
#define LIAISON_TESTS_TESTING_SETS_H_

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace liaison::testing {

struct TwoSets {
  std::vector<std::string> a;       // first party's items, shuffled
  std::vector<std::string> b;       // second party's items, shuffled
  std::vector<std::string> common;  // a ∩ b, sorted
};

// MakeSets returns sets of `num_a` and `num_b` distinct items sharing exactly
// `num_common` items, deterministically from `seed` (log it in the test).
inline TwoSets MakeSets(size_t num_a, size_t num_b, size_t num_common, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto item = [&](const char* tag, size_t i) {
    return std::string(tag) + ":" + std::to_string(i) + ":" + std::to_string(rng());
  };
  TwoSets s;
  for (size_t i = 0; i < num_common; ++i) s.common.push_back(item("c", i));
  s.a = s.common;
  s.b = s.common;
  for (size_t i = num_common; i < num_a; ++i) s.a.push_back(item("a", i));
  for (size_t i = num_common; i < num_b; ++i) s.b.push_back(item("b", i));
  std::shuffle(s.a.begin(), s.a.end(), rng);
  std::shuffle(s.b.begin(), s.b.end(), rng);
  std::sort(s.common.begin(), s.common.end());
  return s;
}

}  // namespace liaison::testing

#endif  // LIAISON_TESTS_TESTING_SETS_H_
