#include "psi/internal/cuckoo.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "base/strings.h"
#include "base/thread_pool.h"
#include "okvs/okvs.h"

namespace liaison::psi::internal {
namespace {

using crypto::Block;

uint64_t Range(uint64_t u, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(u) * n) >> 64);
}

}  // namespace

CuckooParams CuckooParams::ForItems(uint64_t num_items, int ssp, double expansion,
                                    uint64_t min_bins) {
  CuckooParams p;
  p.num_items = num_items;
  double e = expansion;
  if (e <= 0) {
    const double log_n = num_items > 1 ? std::log2(static_cast<double>(num_items)) : 0;
    e = std::max(1.27, (ssp + log_n + 256.0) / 240.0);
  }
  const uint64_t bins = static_cast<uint64_t>(std::ceil(e * static_cast<double>(num_items)));
  p.num_bins = std::max({bins, min_bins, uint64_t{3}});
  return p;
}

CuckooHasher::CuckooHasher(const Block& seed, uint64_t num_bins)
    : aes_(seed), num_bins_(num_bins) {}

void CuckooHasher::Bins(absl::Span<const Block> keys, absl::Span<uint32_t> out,
                        int num_threads) const {
  constexpr size_t kBatch = 512;
  const uint64_t nb = num_bins_;
  ParallelFor(keys.size(), num_threads, kBatch, [&](size_t begin, size_t end) {
    Block in[2 * kBatch], h[2 * kBatch];
    for (size_t b = begin; b < end; b += kBatch) {
      const size_t c = std::min(end, b + kBatch) - b;
      for (size_t i = 0; i < c; ++i) {
        in[2 * i] = keys[b + i];
        in[2 * i + 1] = keys[b + i] ^ Block(0, 1);
      }
      aes_.EncryptBlocks(absl::MakeConstSpan(in, 2 * c), absl::MakeSpan(h, 2 * c));
      for (size_t i = 0; i < c; ++i) {
        const uint64_t p0 = Range(h[2 * i].lo, nb);
        uint64_t p1 = Range(h[2 * i].hi, nb - 1);
        p1 += p1 >= p0;
        const uint64_t lo = std::min(p0, p1), hi = std::max(p0, p1);
        uint64_t p2 = Range(h[2 * i + 1].lo, nb - 2);
        p2 += p2 >= lo;
        p2 += p2 >= hi;
        uint32_t* o = out.data() + 3 * (b + i);
        o[0] = static_cast<uint32_t>(p0);
        o[1] = static_cast<uint32_t>(p1);
        o[2] = static_cast<uint32_t>(p2);
      }
    }
  });
}

absl::StatusOr<std::vector<uint64_t>> CuckooInsert(absl::Span<const Block> keys,
                                                   absl::Span<const uint32_t> bins,
                                                   uint64_t num_bins, uint64_t walk_seed,
                                                   size_t max_evictions) {
  // While inserting, an entry also carries 30 bits of its key above the
  // 34 bits of 4·i + j, so that the check for an equal key rarely has to
  // read the key itself (a cache miss into a table as large as the input);
  // they are stripped at the end.
  constexpr int kIndexBits = 34;
  constexpr uint64_t kIndexMask = (uint64_t{1} << kIndexBits) - 1;
  if (keys.size() >= (uint64_t{1} << (kIndexBits - 2)) - 1) {
    return absl::InvalidArgumentError("cuckoo hashing: too many keys");
  }
  auto tag = [&](uint64_t item) { return (keys[item].hi >> kIndexBits) << kIndexBits; };
  std::vector<uint64_t> table(num_bins, kEmptyBin);
  uint64_t rng = walk_seed | 1;
  auto next = [&rng]() {  // xorshift64: the walk needs no cryptographic quality
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
  };
  // The bins of the key kAhead places on are fetched while this one is
  // placed: the table is random access, larger than the caches at 2^20.
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i + kAhead < keys.size()) {
      const uint32_t* a = bins.data() + 3 * (i + kAhead);
      for (int j = 0; j < kNumCuckooHashes; ++j) __builtin_prefetch(&table[a[j]], 1);
    }
    const uint32_t* c = bins.data() + 3 * i;
    const uint64_t my_tag = tag(i);
    // A key equal to this one sits in one of the same three bins.
    for (int j = 0; j < kNumCuckooHashes; ++j) {
      const uint64_t e = table[c[j]];
      if (e != kEmptyBin && (e & ~kIndexMask) == my_tag &&
          keys[(e & kIndexMask) >> 2] == keys[i]) {
        return okvs::DuplicateKeysError("cuckoo hashing: keys must be distinct");
      }
    }
    uint64_t item = i;
    uint64_t item_tag = my_tag;
    uint64_t from = num_bins;  // the bin the current item was evicted from
    for (size_t step = 0;; ++step) {
      const uint32_t* cand = bins.data() + 3 * item;
      int free_j = -1;
      for (int j = 0; j < kNumCuckooHashes; ++j) {
        if (table[cand[j]] == kEmptyBin) {
          free_j = j;
          break;
        }
      }
      if (free_j >= 0) {
        table[cand[free_j]] = item_tag | (4 * item + static_cast<uint64_t>(free_j));
        break;
      }
      if (step == max_evictions) {
        return absl::FailedPreconditionError(
            StrCat("cuckoo hashing failed: ", keys.size(), " keys do not fit ", num_bins,
                   " bins"));
      }
      // Evict the occupant of a random candidate other than the bin we
      // came from.
      int j = static_cast<int>(next() % kNumCuckooHashes);
      if (cand[j] == from) j = (j + 1 + static_cast<int>(next() % 2)) % kNumCuckooHashes;
      const uint64_t victim = table[cand[j]];
      table[cand[j]] = item_tag | (4 * item + static_cast<uint64_t>(j));
      from = cand[j];
      item = (victim & kIndexMask) >> 2;
      item_tag = victim & ~kIndexMask;
    }
  }
  for (uint64_t& e : table) {
    if (e != kEmptyBin) e &= kIndexMask;
  }
  return table;
}

}  // namespace liaison::psi::internal
