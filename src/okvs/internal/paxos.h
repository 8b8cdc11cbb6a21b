// SolvePaxos encodes one bin: the PaXoS system H·P = v of RR22 (figure 1),
// where row i of H has ones at `weight` sparse columns and the dense part
// (d_i, d_i^2, ..., d_i^ĝ) over GF(2^128).
//
// Triangulation. The sparse part is peeled first with the XOR trick of
// XOR/binary fuse filters (Graf and Lemire): each column keeps its count of
// live rows and the XOR of their indices, so a column of count one names
// its row without any adjacency list. That is RR22's step 2 as long as
// weight-one columns exist, which for the parameters of OkvsParams is the
// whole matrix except with probability about 3n^2/m'^3 per bin (two rows on
// the same three columns, the "plateau" of the paper's figure 3; 2^-15 for
// the default bins). Whatever remains (the 2-core) gets RR22's rule with
// explicit adjacency: take a live column of least nonzero weight, make its
// first row a pivot and its other rows gap rows.
//
// Solving. Pivot rows are solved by back-substitution in reverse pivot
// order. Each gap row j is first reduced by the pivot rows it depends on
// (the F·C^-1 step), leaving an equation E'_j · P_dense = x'_j on the dense
// cells only; these g equations are solved by Gauss–Jordan elimination over
// GF(2^128) before the back-substitution, which then includes the dense
// terms. The cost is O(m' + n) plus O(g·ĝ^2) field operations.
#ifndef LIAISON_OKVS_INTERNAL_PAXOS_H_
#define LIAISON_OKVS_INTERNAL_PAXOS_H_

#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "crypto/block.h"

namespace liaison::okvs::internal {

using crypto::Block;

// PaxosRow is one row of a bin with its value, 32 bytes, so that a row is
// half a cache line and the encoder's random accesses to a row (columns to
// peel it, columns and value to solve it) touch one line.
struct alignas(32) PaxosRow {
  uint32_t cols[3];  // weight distinct sparse columns (cols[2] unused for weight 2)
  uint32_t index;    // free for the caller (the encoder: the key's input index)
  Block value;
};
static_assert(sizeof(PaxosRow) == 32);

struct PaxosShape {
  uint32_t sparse_size = 0;  // m', the sparse columns
  uint32_t dense_size = 0;   // ĝ, the dense GF(2^128) columns
  int weight = 3;            // sparse ones per row: 2 or 3
};

// PaxosStats reports what the last SolvePaxos call did (for tests and
// tuning; not part of the contract).
struct PaxosStats {
  uint32_t peeled = 0;     // rows solved by plain peeling
  uint32_t core_rows = 0;  // rows left in the 2-core after peeling
  uint32_t gap = 0;        // g, rows solved through the dense columns
};

// PaxosScratch is the working memory of SolvePaxos. One thread reuses one
// scratch across bins so that the buffers are allocated once.
struct PaxosScratch {
  struct Pivot {
    uint32_t row;
    uint32_t col;
  };
  std::vector<uint64_t> cells;  // per column: live-row XOR << 32 | live count
  std::vector<uint32_t> queue;  // columns that reached count one
  std::vector<Pivot> order;     // pivots in triangulation order
  std::vector<Block> coeffs;    // dense coefficients, fetched on demand
  std::vector<Block> dense_terms;
  uint64_t triangulated_rows = ~uint64_t{0};  // rows of the pending triangulation
  PaxosStats stats;
};

// DenseCoefficientsFn writes the dense coefficient d_i of every row i of
// the bin to its argument (size num_rows). SolvePaxos calls it at most once,
// and only when the dense part is needed (a nonempty 2-core, or nonzero
// dense cells on entry).
using DenseCoefficientsFn = absl::FunctionRef<void(absl::Span<Block>)>;

// SolvePaxos writes to `out` (m' + ĝ cells) a solution of
//   XOR_{w < weight} out[rows[i].cols[w]] ⊕ Σ_k d_i^(k+1) · out[m' + k]
//     = rows[i].value
// for every row i (fewer than 2^32 - 1 rows), each with weight distinct
// columns below m'. Cells that no row pins (free cells) keep their contents
// on entry, so the caller chooses them: zero, a public pseudo-random fill,
// or fresh randomness when P must hide the keys.
//
// It returns OK; InvalidArgument if two rows of the 2-core have the same
// dense coefficient (equal keys: the coefficient is a permutation of the
// key); FailedPrecondition if the gap exceeds ĝ or the reduced dense system
// is singular (the probability the parameters bound), leaving `out` partly
// written. Not thread-safe for a shared `scratch`.
absl::Status SolvePaxos(const PaxosShape& shape, absl::Span<const PaxosRow> rows,
                        DenseCoefficientsFn dense_coefficients, absl::Span<Block> out,
                        PaxosScratch& scratch);

// SolvePaxos in two steps, so that the caller can write the entry contents
// of `out` in between, while the peeling no longer needs the cache:
// TriangulatePaxos peels `rows` into `scratch`, and SolveTriangulatedPaxos,
// called next with the same rows and scratch, does the rest. The errors
// are SolvePaxos's (InvalidArgument also if the calls do not pair up).
absl::Status TriangulatePaxos(const PaxosShape& shape, absl::Span<const PaxosRow> rows,
                              PaxosScratch& scratch);
absl::Status SolveTriangulatedPaxos(const PaxosShape& shape, absl::Span<const PaxosRow> rows,
                                    DenseCoefficientsFn dense_coefficients,
                                    absl::Span<Block> out, PaxosScratch& scratch);

}  // namespace liaison::okvs::internal

#endif  // LIAISON_OKVS_INTERNAL_PAXOS_H_
