#include "okvs/internal/paxos.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <set>
#include <utility>

#include "base/status.h"
#include "base/strings.h"
#include "crypto/gf128.h"
#include "okvs/internal/dense.h"
#include "okvs/okvs.h"

namespace liaison::okvs::internal {
namespace {

constexpr uint32_t kNone = ~uint32_t{0};

// Peel runs RR22's triangulation while weight-one columns exist, appending
// (row, column) pivots to scratch.order. A cell packs the column's live
// count (low word) and the XOR of its live rows (high word); a row is
// removed by decrementing and XOR-ing it out of each of its cells.
//
// The loop is branch-free (whether a queued column still has its row is
// unpredictable, and mispredictions cost more than the memory accesses)
// and prefetches the cell of the column kCellAhead places ahead.
template <int W>
void Peel(uint32_t sparse_size, const PaxosRow* rows, uint32_t num_rows, PaxosScratch& s) {
  constexpr size_t kCellAhead = 8;
  s.cells.assign(sparse_size, 0);
  uint64_t* cells = s.cells.data();
  for (uint32_t r = 0; r < num_rows; ++r) {
    // Rows come from the binning pass's streaming stores, i.e. from DRAM.
    if (r + 64 < num_rows) __builtin_prefetch(rows + r + 64);
    if (r + 16 < num_rows) {
      for (int w = 0; w < W; ++w) __builtin_prefetch(cells + rows[r + 16].cols[w]);
    }
    const uint64_t tag = uint64_t{r} << 32;
    for (int w = 0; w < W; ++w) {
      uint64_t& cell = cells[rows[r].cols[w]];
      cell = (cell + 1) ^ tag;
    }
  }
  // Each column enters the queue at most once: when its count is one at the
  // start, or when it drops from two to one.
  // One spare entry in `queue` and `order` takes the unconditional writes.
  if (s.queue.size() < size_t{sparse_size} + 1) s.queue.resize(size_t{sparse_size} + 1);
  uint32_t* queue = s.queue.data();
  size_t queued = 0;
  for (uint32_t c = 0; c < sparse_size; ++c) {
    queue[queued] = c;
    queued += static_cast<uint32_t>(cells[c]) == 1 ? 1 : 0;
  }
  s.order.resize(size_t{num_rows} + 1);
  PaxosScratch::Pivot* order = s.order.data();
  size_t pivots = 0;
  for (size_t head = 0; head < queued; ++head) {
    if (head + kCellAhead < queued) __builtin_prefetch(cells + queue[head + kCellAhead]);
    // Branch-free: whether the column still has its row is a coin flip
    // for the branch predictor. A stale column (count zero, XOR zero) goes
    // through the motions with `live` = 0, changing nothing.
    const uint32_t c = queue[head];
    const uint64_t cell = cells[c];
    const uint64_t live = static_cast<uint32_t>(cell) == 1 ? 1 : 0;
    const uint32_t r = static_cast<uint32_t>(cell >> 32);
    order[pivots] = {r, c};
    pivots += live;
    const uint64_t tag = (uint64_t{r} << 32) & (0 - live);
    const PaxosRow& row = rows[r];
    for (int w = 0; w < W; ++w) {
      uint64_t& other = cells[row.cols[w]];
      other = (other - live) ^ tag;
      queue[queued] = row.cols[w];
      queued += live & (static_cast<uint32_t>(other) == 1 ? 1 : 0);
    }
  }
  s.order.resize(pivots);
}

// BackSubstitute solves the pivot rows in reverse triangulation order: when
// pivot t is solved, every other column of its row is either free or the
// pivot of a later row, already solved. Writing out[c] ^= (row sum) sets the
// row sum to the row's value whatever out[c] held.
template <int W>
void BackSubstitute(const PaxosRow* rows, const Block* dense_terms,
                    const PaxosScratch::Pivot* order, size_t num_pivots, Block* out) {
  constexpr size_t kRowAhead = 16;
  for (size_t t = num_pivots; t-- > 0;) {
    if (t >= kRowAhead) __builtin_prefetch(rows + order[t - kRowAhead].row);
    const uint32_t r = order[t].row;
    const PaxosRow& row = rows[r];
    Block y = row.value;
    for (int w = 0; w < W; ++w) y ^= out[row.cols[w]];
    if (dense_terms != nullptr) y ^= dense_terms[r];
    out[order[t].col] ^= y;
  }
}

void AddPowers(const Block& d, uint32_t dense_size, Block* row) {
  Block x = d;
  for (uint32_t k = 0; k < dense_size; ++k) {
    row[k] ^= x;
    if (k + 1 < dense_size) x = crypto::Gf128Mul(x, d);
  }
}

// SolveCore triangulates the rows left after peeling with RR22's
// least-weight rule, then solves the gap rows through the dense cells,
// writing those cells. It appends the new pivots to s.order.
template <int W>
absl::Status SolveCore(const PaxosShape& shape, const PaxosRow* rows, uint32_t num_rows,
                       const Block* coeffs, Block* out, PaxosScratch& s) {
  const uint32_t m = shape.sparse_size;
  const uint32_t dense_size = shape.dense_size;

  std::vector<uint8_t> removed(num_rows, 0);
  for (const auto& p : s.order) removed[p.row] = 1;
  std::vector<uint32_t> core;
  for (uint32_t r = 0; r < num_rows; ++r) {
    if (!removed[r]) core.push_back(r);
  }
  s.stats.core_rows = static_cast<uint32_t>(core.size());

  // Two equal rows can never be peeled, so duplicated keys always end up
  // here; equal coefficients mean equal keys.
  {
    std::vector<Block> core_coeffs;
    core_coeffs.reserve(core.size());
    for (uint32_t r : core) core_coeffs.push_back(coeffs[r]);
    std::sort(core_coeffs.begin(), core_coeffs.end());
    if (std::adjacent_find(core_coeffs.begin(), core_coeffs.end()) != core_coeffs.end()) {
      return DuplicateKeysError("OKVS keys are not distinct");
    }
  }

  // Column-to-rows adjacency of the core (columns compressed to 0..u-1).
  std::vector<std::pair<uint32_t, uint32_t>> entries;  // (column, row)
  entries.reserve(core.size() * W);
  for (uint32_t r : core) {
    for (int w = 0; w < W; ++w) entries.emplace_back(rows[r].cols[w], r);
  }
  std::sort(entries.begin(), entries.end());
  std::vector<uint32_t> col_ids;
  std::vector<uint32_t> starts;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i == 0 || entries[i].first != entries[i - 1].first) {
      col_ids.push_back(entries[i].first);
      starts.push_back(static_cast<uint32_t>(i));
    }
  }
  starts.push_back(static_cast<uint32_t>(entries.size()));
  auto local = [&](uint32_t c) {
    return static_cast<uint32_t>(std::lower_bound(col_ids.begin(), col_ids.end(), c) -
                                 col_ids.begin());
  };
  std::vector<uint32_t> weight(col_ids.size());
  using Entry = std::pair<uint32_t, uint32_t>;  // (weight, local column)
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  for (uint32_t l = 0; l < col_ids.size(); ++l) {
    weight[l] = starts[l + 1] - starts[l];
    heap.emplace(weight[l], l);
  }

  std::vector<uint32_t> gap_rows;
  size_t live = core.size();
  while (live > 0 && !heap.empty()) {
    const auto [wt, l] = heap.top();
    heap.pop();
    if (wt == 0 || wt != weight[l]) continue;  // stale entry
    bool first = true;
    for (uint32_t i = starts[l]; i < starts[l + 1]; ++i) {
      const uint32_t r = entries[i].second;
      if (removed[r]) continue;
      removed[r] = 1;
      --live;
      if (first) {
        s.order.push_back({r, col_ids[l]});
        first = false;
      } else {
        gap_rows.push_back(r);
      }
      for (int w = 0; w < W; ++w) {
        const uint32_t l2 = local(rows[r].cols[w]);
        if (--weight[l2] > 0) heap.emplace(weight[l2], l2);
      }
    }
  }

  const uint32_t g = static_cast<uint32_t>(gap_rows.size());
  s.stats.gap = g;
  if (g > dense_size) {
    return absl::FailedPreconditionError(
        StrCat("OKVS encoding failed: gap of ", g, " rows exceeds the ", dense_size,
               " dense columns; retry with a fresh seed"));
  }

  // Reduce each gap row j by the pivot rows that cancel its pivot columns
  // (smallest pivot index first: a pivot row only brings in later pivots),
  // leaving E'_j · P_dense = x'_j. Free cells keep their entry contents and
  // move to the right-hand side.
  std::vector<uint32_t> pivot_of(m, kNone);
  for (uint32_t t = 0; t < s.order.size(); ++t) pivot_of[s.order[t].col] = t;
  std::vector<Block> e(size_t{g} * dense_size);
  std::vector<Block> x(g);
  std::set<uint32_t> pending;
  for (uint32_t j = 0; j < g; ++j) {
    Block* ej = e.data() + size_t{j} * dense_size;
    Block xj;
    auto touch = [&](uint32_t c) {
      const uint32_t t = pivot_of[c];
      if (t == kNone) {
        xj ^= out[c];
      } else if (auto [it, inserted] = pending.insert(t); !inserted) {
        pending.erase(it);
      }
    };
    const uint32_t r = gap_rows[j];
    xj ^= rows[r].value;
    AddPowers(coeffs[r], dense_size, ej);
    for (int w = 0; w < W; ++w) touch(rows[r].cols[w]);
    while (!pending.empty()) {
      const uint32_t t = *pending.begin();
      pending.erase(pending.begin());
      const auto [pr, pc] = s.order[t];
      xj ^= rows[pr].value;
      AddPowers(coeffs[pr], dense_size, ej);
      for (int w = 0; w < W; ++w) {
        const uint32_t c = rows[pr].cols[w];
        if (c != pc) touch(c);
      }
    }
    x[j] = xj;
  }

  // Gauss–Jordan elimination on E' (g × ĝ). Columns without a pivot keep
  // the dense cells' entry values.
  std::vector<uint32_t> pivot_col(g);
  uint32_t rank = 0;
  for (uint32_t k = 0; k < dense_size && rank < g; ++k) {
    uint32_t i = rank;
    while (i < g && e[size_t{i} * dense_size + k] == Block()) ++i;
    if (i == g) continue;
    if (i != rank) {
      std::swap_ranges(e.begin() + size_t{i} * dense_size, e.begin() + size_t{i + 1} * dense_size,
                       e.begin() + size_t{rank} * dense_size);
      std::swap(x[i], x[rank]);
    }
    Block* pivot_row = e.data() + size_t{rank} * dense_size;
    const Block inv = crypto::Gf128Inverse(pivot_row[k]);
    for (uint32_t c = 0; c < dense_size; ++c) pivot_row[c] = crypto::Gf128Mul(pivot_row[c], inv);
    x[rank] = crypto::Gf128Mul(x[rank], inv);
    for (uint32_t i2 = 0; i2 < g; ++i2) {
      if (i2 == rank) continue;
      Block* row = e.data() + size_t{i2} * dense_size;
      const Block f = row[k];
      if (f == Block()) continue;
      for (uint32_t c = 0; c < dense_size; ++c) row[c] ^= crypto::Gf128Mul(f, pivot_row[c]);
      x[i2] ^= crypto::Gf128Mul(f, x[rank]);
    }
    pivot_col[rank++] = k;
  }
  if (rank < g) {
    return absl::FailedPreconditionError(
        "OKVS encoding failed: singular dense system; retry with a fresh seed");
  }
  std::vector<uint8_t> is_pivot(dense_size, 0);
  for (uint32_t i = 0; i < g; ++i) is_pivot[pivot_col[i]] = 1;
  Block* dense = out + m;
  for (uint32_t i = 0; i < g; ++i) {
    Block v = x[i];
    for (uint32_t k = 0; k < dense_size; ++k) {
      if (!is_pivot[k]) v ^= crypto::Gf128Mul(e[size_t{i} * dense_size + k], dense[k]);
    }
    dense[pivot_col[i]] = v;
  }
  return absl::OkStatus();
}

template <int W>
absl::Status SolveWithWeight(const PaxosShape& shape, absl::Span<const PaxosRow> rows,
                             DenseCoefficientsFn dense_coefficients, absl::Span<Block> out,
                             PaxosScratch& s) {
  const uint32_t num_rows = static_cast<uint32_t>(rows.size());
  const uint32_t m = shape.sparse_size;
  bool have_coeffs = false;
  auto load_coeffs = [&] {
    if (have_coeffs) return;
    s.coeffs.resize(num_rows);
    dense_coefficients(absl::MakeSpan(s.coeffs));
    have_coeffs = true;
  };
  if (s.order.size() < num_rows) {
    load_coeffs();
    LIAISON_RETURN_IF_ERROR(
        SolveCore<W>(shape, rows.data(), num_rows, s.coeffs.data(), out.data(), s));
  }

  const absl::Span<const Block> dense = out.subspan(m, shape.dense_size);
  const bool dense_zero =
      std::all_of(dense.begin(), dense.end(), [](const Block& b) { return b == Block(); });
  const Block* dense_terms = nullptr;
  if (!dense_zero) {
    load_coeffs();
    s.dense_terms.resize(num_rows);
    DenseEval(s.coeffs, dense, absl::MakeSpan(s.dense_terms));
    dense_terms = s.dense_terms.data();
  }
  BackSubstitute<W>(rows.data(), dense_terms, s.order.data(), s.order.size(), out.data());
  return absl::OkStatus();
}

absl::Status CheckShape(const PaxosShape& shape, size_t num_rows) {
  if (shape.weight != 2 && shape.weight != 3) {
    return absl::InvalidArgumentError("OKVS weight must be 2 or 3");
  }
  if (shape.sparse_size < static_cast<uint32_t>(shape.weight) || num_rows >= kNone) {
    return absl::InvalidArgumentError("SolvePaxos: inconsistent sizes");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status TriangulatePaxos(const PaxosShape& shape, absl::Span<const PaxosRow> rows,
                              PaxosScratch& scratch) {
  LIAISON_RETURN_IF_ERROR(CheckShape(shape, rows.size()));
  scratch.stats = PaxosStats();
  const uint32_t num_rows = static_cast<uint32_t>(rows.size());
  if (shape.weight == 2) {
    Peel<2>(shape.sparse_size, rows.data(), num_rows, scratch);
  } else {
    Peel<3>(shape.sparse_size, rows.data(), num_rows, scratch);
  }
  scratch.stats.peeled = static_cast<uint32_t>(scratch.order.size());
  scratch.triangulated_rows = num_rows;
  return absl::OkStatus();
}

absl::Status SolveTriangulatedPaxos(const PaxosShape& shape, absl::Span<const PaxosRow> rows,
                                    DenseCoefficientsFn dense_coefficients,
                                    absl::Span<Block> out, PaxosScratch& scratch) {
  LIAISON_RETURN_IF_ERROR(CheckShape(shape, rows.size()));
  if (out.size() != size_t{shape.sparse_size} + shape.dense_size ||
      scratch.triangulated_rows != rows.size()) {
    return absl::InvalidArgumentError("SolvePaxos: inconsistent sizes");
  }
  scratch.triangulated_rows = kNone;  // the pivots are consumed
  if (shape.weight == 2) return SolveWithWeight<2>(shape, rows, dense_coefficients, out, scratch);
  return SolveWithWeight<3>(shape, rows, dense_coefficients, out, scratch);
}

absl::Status SolvePaxos(const PaxosShape& shape, absl::Span<const PaxosRow> rows,
                        DenseCoefficientsFn dense_coefficients, absl::Span<Block> out,
                        PaxosScratch& scratch) {
  LIAISON_RETURN_IF_ERROR(TriangulatePaxos(shape, rows, scratch));
  return SolveTriangulatedPaxos(shape, rows, dense_coefficients, out, scratch);
}

}  // namespace liaison::okvs::internal
