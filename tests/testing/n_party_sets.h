// Item sets for n-party set protocols (mpsi/), with the answers computed in
// the clear: which of each party's items are held by at least t parties,
// and by how many.
#ifndef LIAISON_TESTING_N_PARTY_SETS_H_
#define LIAISON_TESTING_N_PARTY_SETS_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "crypto/block.h"

namespace liaison::testing {

// NPartySets is n parties' item lists (duplicates allowed).
struct NPartySets {
  std::vector<std::vector<crypto::Block>> items;
};

// Qualifying is one party's answer: the ascending indices of its items
// held by at least t parties, and the number of holders of each.
struct Qualifying {
  std::vector<uint64_t> indices;
  std::vector<uint32_t> holders;
};

// Holders counts, for every distinct item, the parties that hold it.
inline std::map<crypto::Block, uint32_t> Holders(const NPartySets& s) {
  std::map<crypto::Block, uint32_t> holders;
  for (const auto& list : s.items) {
    std::vector<crypto::Block> uniq = list;
    std::sort(uniq.begin(), uniq.end());
    uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
    for (const crypto::Block& b : uniq) ++holders[b];
  }
  return holders;
}

// Expected returns every party's answer for threshold t.
inline std::vector<Qualifying> Expected(const NPartySets& s, int t) {
  const std::map<crypto::Block, uint32_t> holders = Holders(s);
  std::vector<Qualifying> out(s.items.size());
  for (size_t i = 0; i < s.items.size(); ++i) {
    for (size_t k = 0; k < s.items[i].size(); ++k) {
      const uint32_t c = holders.at(s.items[i][k]);
      if (c >= static_cast<uint32_t>(t)) {
        out[i].indices.push_back(k);
        out[i].holders.push_back(c);
      }
    }
  }
  return out;
}

// ExpectedCount returns the number of distinct items held by at least t
// parties (the count-only output).
inline int64_t ExpectedCount(const NPartySets& s, int t) {
  int64_t count = 0;
  for (const auto& [item, c] : Holders(s)) count += c >= static_cast<uint32_t>(t) ? 1 : 0;
  return count;
}

inline crypto::Block RandomBlock(std::mt19937_64& rng) { return crypto::Block(rng(), rng()); }

// HolderPatternSets gives, for every k in 1..n and every start s, `per`
// items held by exactly the k parties s, s+1, ..., s+k−1 (mod n), plus
// `extra[i]` items of party i's own, and repeats a few items of party
// `dup_party` (−1: none; duplicates count once). Lists are shuffled.
inline NPartySets HolderPatternSets(int n, int per, const std::vector<int>& extra, int dup_party,
                                    uint64_t seed) {
  std::mt19937_64 rng(seed);
  NPartySets s;
  s.items.resize(n);
  for (int k = 1; k <= n; ++k) {
    for (int start = 0; start < (k == n ? 1 : n); ++start) {
      for (int c = 0; c < per; ++c) {
        const crypto::Block b = RandomBlock(rng);
        for (int h = 0; h < k; ++h) s.items[(start + h) % n].push_back(b);
      }
    }
  }
  for (int i = 0; i < n; ++i) {
    for (int c = 0; c < extra[i]; ++c) s.items[i].push_back(RandomBlock(rng));
  }
  if (dup_party >= 0 && !s.items[dup_party].empty()) {
    auto& list = s.items[dup_party];
    const size_t m = list.size();
    for (size_t c = 0; c < 5; ++c) list.push_back(list[(c * 7919) % m]);
  }
  for (auto& list : s.items) std::shuffle(list.begin(), list.end(), rng);
  return s;
}

}  // namespace liaison::testing

#endif  // LIAISON_TESTING_N_PARTY_SETS_H_
