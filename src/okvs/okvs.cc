#include "okvs/okvs.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "absl/strings/cord.h"
#include "base/log.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/thread_pool.h"
#include "okvs/internal/decode.h"
#include "okvs/internal/paxos.h"
#include "okvs/internal/params.h"
#include "okvs/internal/row_hash.h"

namespace liaison::okvs {
namespace {

// kDuplicateKeysPayload marks DuplicateKeysError's status.
constexpr char kDuplicateKeysPayload[] = "type.liaison/okvs.DuplicateKeys";

using crypto::Block;
using internal::RowHasher;

constexpr uint64_t kMaxDenseSize = 1024;
constexpr size_t kHashBatch = 64;

[[noreturn]] void Fatal(std::string_view message) {
  Log(LogLevel::kError, message);
  std::abort();
}

uint64_t CeilLog2(uint64_t x) { return x <= 1 ? 0 : 64 - __builtin_clzll(x - 1); }

// NumChunks is the number of input slices binned in parallel. It depends on
// n only, so P does not depend on the number of threads.
size_t NumChunks(uint64_t n) {
  return static_cast<size_t>(std::clamp<uint64_t>((n + 32767) / 32768, 1, 64));
}

// OverflowStatus explains a bin that received more items than its
// capacity: duplicated keys (InvalidArgument) or bad luck with the seed.
absl::Status OverflowStatus(absl::Span<const Block> keys) {
  std::vector<Block> sorted(keys.begin(), keys.end());
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return DuplicateKeysError("OKVS keys are not distinct");
  }
  return absl::FailedPreconditionError(
      "OKVS encoding failed: a bin overflowed; retry with a fresh seed");
}

// RowArray is an uninitialised, 64-byte aligned array of PaxosRow (zeroing
// n rows would cost as much as writing them). Large arrays ask for
// transparent huge pages: the rows are written once, in a scatter over the
// whole array, where 4 KiB page faults would cost about a fifth of the
// encoding time.
class RowArray {
 public:
  void Allocate(size_t n) {
    size_t bytes = std::max<size_t>(n, 1) * sizeof(internal::PaxosRow);
    const size_t align = bytes >= kHugePage ? kHugePage : 64;
    bytes = (bytes + align - 1) / align * align;
    void* p = std::aligned_alloc(align, bytes);
    if (p == nullptr) throw std::bad_alloc();  // as std::vector would
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (align == kHugePage) madvise(p, bytes, MADV_HUGEPAGE);
#endif
    rows_.reset(static_cast<internal::PaxosRow*>(p));
  }
  internal::PaxosRow* data() const { return rows_.get(); }

 private:
  static constexpr size_t kHugePage = size_t{2} << 20;
  struct Free {
    void operator()(internal::PaxosRow* p) const { std::free(p); }
  };
  std::unique_ptr<internal::PaxosRow[], Free> rows_;
};

// ScratchPool hands one PaxosScratch to each worker of a ParallelFor, so
// that its buffers (about 40 bytes per item of a bin) are allocated once per
// thread rather than once per bin.
class ScratchPool {
 public:
  std::unique_ptr<internal::PaxosScratch> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return std::make_unique<internal::PaxosScratch>();
    std::unique_ptr<internal::PaxosScratch> s = std::move(free_.back());
    free_.pop_back();
    return s;
  }
  void Return(std::unique_ptr<internal::PaxosScratch> s) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(s));
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<internal::PaxosScratch>> free_;
};

// Binned holds the rows regrouped by bin: rows [start[b], start[b+1]) are
// bin b's, in input order within each input slice.
struct Binned {
  std::vector<uint64_t> start;
  RowArray rows;
};

// RowScatter writes the rows of one input slice to their bins' cursors.
// Stores to 16+ bins would each miss, so rows are staged two per bin (one
// cache line) and written as whole lines with non-temporal stores, which
// skip the read-for-ownership of the destination line.
class RowScatter {
 public:
  RowScatter(internal::PaxosRow* rows, uint64_t* cursors, uint64_t num_bins)
      : rows_(rows), cursors_(cursors), stage_(num_bins), pending_(num_bins, 0) {}

  void Push(uint64_t bin, const internal::PaxosRow& row) {
    uint64_t& at = cursors_[bin];
    if (at & 1) {  // align the bin's cursor to a line first
      rows_[at++] = row;
      return;
    }
    Line& line = stage_[bin];
    if (!pending_[bin]) {
      line.row[0] = row;
      pending_[bin] = 1;
      return;
    }
    line.row[1] = row;
    pending_[bin] = 0;
    StoreLine(line, rows_ + at);
    at += 2;
  }

  // Finish writes the rows still staged and orders the streamed stores
  // before whatever the thread does next.
  void Finish() {
    for (size_t b = 0; b < stage_.size(); ++b) {
      if (pending_[b]) rows_[cursors_[b]++] = stage_[b].row[0];
      pending_[b] = 0;
    }
#if defined(__SSE2__)
    _mm_sfence();
#endif
  }

 private:
  struct alignas(64) Line {
    internal::PaxosRow row[2];
  };
  static void StoreLine(const Line& line, internal::PaxosRow* dst) {
#if defined(__SSE2__)
    const __m128i* from = reinterpret_cast<const __m128i*>(&line);
    __m128i* to = reinterpret_cast<__m128i*>(dst);
    for (int i = 0; i < 4; ++i) _mm_stream_si128(to + i, _mm_load_si128(from + i));
#else
    dst[0] = line.row[0];
    dst[1] = line.row[1];
#endif
  }

  internal::PaxosRow* rows_;
  uint64_t* cursors_;
  std::vector<Line> stage_;
  std::vector<uint8_t> pending_;
};

template <int W>
internal::PaxosRow MakeRow(const RowHasher& hasher, const Block& row_seed, uint64_t index,
                           const Block& value, uint64_t& bin) {
  internal::PaxosRow row;
  bin = hasher.Row<W>(row_seed, row.cols);
  if constexpr (W == 2) row.cols[2] = 0;
  row.index = static_cast<uint32_t>(index);
  row.value = value;
  return row;
}

template <int W>
absl::Status BinRows(const OkvsParams& params, const RowHasher& hasher,
                     absl::Span<const Block> keys, absl::Span<const Block> values,
                     int num_threads, Binned& binned) {
  const uint64_t n = keys.size();
  const uint64_t num_bins = params.num_bins;
  binned.rows.Allocate(n);
  internal::PaxosRow* rows = binned.rows.data();
  if (num_bins == 1) {
    if (n > params.bin_capacity) return OverflowStatus(keys);
    binned.start = {0, n};
    ParallelFor(n, num_threads, 4096, [&](size_t begin, size_t end) {
      Block seeds[kHashBatch];
      uint64_t bin;
      for (size_t i = begin; i < end; i += kHashBatch) {
        const size_t k = std::min(kHashBatch, end - i);
        hasher.RowSeeds(keys.subspan(i, k), absl::MakeSpan(seeds, k));
        for (size_t j = 0; j < k; ++j) {
          rows[i + j] = MakeRow<W>(hasher, seeds[j], i + j, values[i + j], bin);
        }
      }
    });
    return absl::OkStatus();
  }

  // Counting sort by bin: count per (slice, bin), then each slice writes
  // its rows at its own cursors. Rows are hashed twice rather than stored.
  const size_t num_chunks = NumChunks(n);
  auto chunk_begin = [&](size_t c) { return n * c / num_chunks; };
  std::vector<uint32_t> counts(num_chunks * num_bins, 0);
  ParallelFor(num_chunks, num_threads, 1, [&](size_t c0, size_t c1) {
    Block seeds[kHashBatch];
    for (size_t c = c0; c < c1; ++c) {
      uint32_t* count = counts.data() + c * num_bins;
      for (size_t i = chunk_begin(c), end = chunk_begin(c + 1); i < end; i += kHashBatch) {
        const size_t k = std::min(kHashBatch, end - i);
        hasher.RowSeeds(keys.subspan(i, k), absl::MakeSpan(seeds, k));
        for (size_t j = 0; j < k; ++j) ++count[hasher.Bin(seeds[j])];
      }
    }
  });
  binned.start.assign(num_bins + 1, 0);
  std::vector<uint64_t> cursor(num_chunks * num_bins);
  for (uint64_t b = 0; b < num_bins; ++b) {
    uint64_t at = binned.start[b];
    for (size_t c = 0; c < num_chunks; ++c) {
      cursor[c * num_bins + b] = at;
      at += counts[c * num_bins + b];
    }
    if (at - binned.start[b] > params.bin_capacity) return OverflowStatus(keys);
    binned.start[b + 1] = at;
  }
  ParallelFor(num_chunks, num_threads, 1, [&](size_t c0, size_t c1) {
    Block seeds[kHashBatch];
    for (size_t c = c0; c < c1; ++c) {
      RowScatter scatter(rows, cursor.data() + c * num_bins, num_bins);
      for (size_t i = chunk_begin(c), end = chunk_begin(c + 1); i < end; i += kHashBatch) {
        const size_t k = std::min(kHashBatch, end - i);
        hasher.RowSeeds(keys.subspan(i, k), absl::MakeSpan(seeds, k));
        for (size_t j = 0; j < k; ++j) {
          uint64_t bin;
          const internal::PaxosRow row = MakeRow<W>(hasher, seeds[j], i + j, values[i + j], bin);
          scatter.Push(bin, row);
        }
      }
      scatter.Finish();
    }
  });
  return absl::OkStatus();
}

template <int W>
absl::Status EncodeWithWeight(const OkvsParams& params, const Block& seed,
                              absl::Span<const Block> keys, absl::Span<const Block> values,
                              absl::Span<Block> out, int num_threads, crypto::Prng* prng) {
  const uint64_t num_bins = params.num_bins;
  const uint64_t slots = params.bin_slots();
  const uint32_t sparse_size = static_cast<uint32_t>(params.sparse_size);
  const RowHasher hasher(seed, num_bins, sparse_size);
  Binned binned;
  LIAISON_RETURN_IF_ERROR(BinRows<W>(params, hasher, keys, values, num_threads, binned));

  std::vector<crypto::Seed> bin_seeds;
  if (prng != nullptr) {
    bin_seeds.reserve(num_bins);
    for (uint64_t b = 0; b < num_bins; ++b) bin_seeds.push_back(prng->NewSeed());
  }
  // In the all-dense layout every key reads every sparse cell, so the dense
  // cells carry the fill that makes other keys decode to unrelated values.
  const bool fill_dense = params.bin_capacity < internal::kMinFittedItems;
  const internal::PaxosShape shape{sparse_size, static_cast<uint32_t>(params.dense_size), W};

  std::vector<absl::Status> status(num_bins);
  ScratchPool pool;
  ParallelFor(num_bins, num_threads, 1, [&](size_t b0, size_t b1) {
    std::unique_ptr<internal::PaxosScratch> scratch = pool.Take();
    std::vector<Block> bin_keys;
    for (size_t b = b0; b < b1; ++b) {
      const uint64_t begin = binned.start[b];
      const uint64_t count = binned.start[b + 1] - begin;
      const absl::Span<const internal::PaxosRow> rows(binned.rows.data() + begin, count);
      status[b] = internal::TriangulatePaxos(shape, rows, *scratch);
      if (!status[b].ok()) continue;
      // The cells are written after peeling, so that they are still in cache
      // for the back-substitution.
      const absl::Span<Block> cells = out.subspan(b * slots, slots);
      if (prng != nullptr) {
        crypto::Prng bin_prng(bin_seeds[b]);
        bin_prng.Fill(MutableByteSpan(reinterpret_cast<uint8_t*>(cells.data()), slots * 16));
      } else if (fill_dense) {
        hasher.Fill(b * slots, cells);
      } else {
        hasher.Fill(b * slots, cells.subspan(0, sparse_size));
        std::fill(cells.begin() + sparse_size, cells.end(), Block());
      }
      auto coefficients = [&](absl::Span<Block> coeffs) {
        bin_keys.resize(count);
        for (uint64_t i = 0; i < count; ++i) bin_keys[i] = keys[rows[i].index];
        hasher.DenseCoefficients(bin_keys, coeffs);
      };
      status[b] = internal::SolveTriangulatedPaxos(shape, rows, coefficients, cells, *scratch);
    }
    pool.Return(std::move(scratch));
  });
  for (const absl::Status& s : status) {
    if (absl::IsInvalidArgument(s)) return s;
  }
  for (const absl::Status& s : status) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

double OkvsParams::expansion() const {
  return num_items == 0 ? 0.0 : static_cast<double>(size()) / static_cast<double>(num_items);
}

absl::Status OkvsParams::Validate() const {
  if (weight != 2 && weight != 3) return absl::InvalidArgumentError("OKVS weight must be 2 or 3");
  if (ssp < 1 || ssp > 128) return absl::InvalidArgumentError("OKVS ssp must be in [1, 128]");
  if (num_items >= (uint64_t{1} << 32)) {
    return absl::InvalidArgumentError("OKVS supports fewer than 2^32 items");
  }
  if (num_bins < 1 || num_bins > (uint64_t{1} << 32)) {
    return absl::InvalidArgumentError("OKVS num_bins must be in [1, 2^32]");
  }
  if (sparse_size < static_cast<uint64_t>(weight) || sparse_size >= (uint64_t{1} << 32)) {
    return absl::InvalidArgumentError("OKVS sparse_size must be in [weight, 2^32)");
  }
  if (dense_size > kMaxDenseSize) {
    return absl::InvalidArgumentError(StrCat("OKVS dense_size exceeds ", kMaxDenseSize));
  }
  if (bin_capacity >= (uint64_t{1} << 32)) {
    return absl::InvalidArgumentError("OKVS bin_capacity must be below 2^32");
  }
  if (bin_slots() > (uint64_t{1} << 62) / num_bins) {
    return absl::InvalidArgumentError("OKVS size overflows");
  }
  return absl::OkStatus();
}

OkvsParams OkvsParams::ForItems(uint64_t num_items, int weight, int ssp,
                                uint64_t target_bin_items) {
  OkvsParams p;
  p.num_items = num_items;
  p.weight = weight;
  p.ssp = ssp;
  if ((weight != 2 && weight != 3) || ssp < 1 || ssp > 128) return p;  // fails Validate
  target_bin_items = std::max<uint64_t>(target_bin_items, 1);
  p.num_bins = std::max<uint64_t>(1, (num_items + target_bin_items - 1) / target_bin_items);
  p.bin_size = (num_items + p.num_bins - 1) / p.num_bins;
  int bin_ssp = ssp;
  if (p.num_bins == 1) {
    p.bin_capacity = num_items;
  } else {
    p.bin_capacity = internal::BinCapacity(num_items, p.num_bins, ssp + 1);
    bin_ssp = ssp + 1 + static_cast<int>(CeilLog2(p.num_bins));
  }
  const uint64_t capacity = p.bin_capacity;
  if (capacity < internal::kMinFittedItems) {
    p.sparse_size = static_cast<uint64_t>(weight);
    p.dense_size = capacity;
  } else {
    const double items = static_cast<double>(capacity);
    const double e = internal::SparseExpansion(items, weight, bin_ssp);
    p.sparse_size = static_cast<uint64_t>(std::ceil(e * items));
    p.dense_size = internal::GapBound(items, e, weight, bin_ssp);
  }
  return p;
}

absl::Status OkvsEncode(const OkvsParams& params, const crypto::Block& seed,
                        absl::Span<const crypto::Block> keys,
                        absl::Span<const crypto::Block> values, absl::Span<crypto::Block> out,
                        int num_threads, crypto::Prng* prng) {
  LIAISON_RETURN_IF_ERROR(params.Validate());
  if (keys.size() != params.num_items || values.size() != params.num_items) {
    return absl::InvalidArgumentError(StrCat("OkvsEncode: expected ", params.num_items,
                                             " keys and values, got ", keys.size(), " and ",
                                             values.size()));
  }
  if (out.size() != params.size()) {
    return absl::InvalidArgumentError(
        StrCat("OkvsEncode: output holds ", out.size(), " blocks, expected ", params.size()));
  }
  num_threads = std::max(num_threads, 1);
  if (params.weight == 2) {
    return EncodeWithWeight<2>(params, seed, keys, values, out, num_threads, prng);
  }
  return EncodeWithWeight<3>(params, seed, keys, values, out, num_threads, prng);
}

void OkvsDecode(const OkvsParams& params, const crypto::Block& seed,
                absl::Span<const crypto::Block> okvs, absl::Span<const crypto::Block> keys,
                absl::Span<crypto::Block> values, int num_threads) {
  if (!params.Validate().ok()) Fatal("OkvsDecode: invalid OkvsParams");
  if (okvs.size() != params.size()) Fatal("OkvsDecode: okvs.size() != params.size()");
  if (keys.size() != values.size()) Fatal("OkvsDecode: keys.size() != values.size()");
  if (keys.empty()) return;
  const RowHasher hasher(seed, params.num_bins, static_cast<uint32_t>(params.sparse_size));
  internal::DecodeShape shape;
  shape.bin_slots = params.bin_slots();
  shape.sparse_size = static_cast<uint32_t>(params.sparse_size);
  shape.dense_size = static_cast<uint32_t>(params.dense_size);
  shape.weight = params.weight;
  ParallelFor(keys.size(), std::max(num_threads, 1), 4096, [&](size_t begin, size_t end) {
    internal::DecodeKeys(hasher, shape, okvs.data(), keys.subspan(begin, end - begin),
                         values.subspan(begin, end - begin));
  });
}

absl::Status DuplicateKeysError(std::string_view message) {
  absl::Status s = absl::InvalidArgumentError(absl::string_view(message.data(), message.size()));
  s.SetPayload(kDuplicateKeysPayload, absl::Cord("1"));
  return s;
}

bool IsDuplicateKeysError(const absl::Status& status) {
  return absl::IsInvalidArgument(status) && status.GetPayload(kDuplicateKeysPayload).has_value();
}

}  // namespace liaison::okvs
