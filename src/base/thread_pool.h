// Parallel loops over index ranges. Protocols use them to spread per-item work
// (hashing, scalar multiplications, encoding) over the machine's cores.
#ifndef LIAISON_BASE_THREAD_POOL_H_
#define LIAISON_BASE_THREAD_POOL_H_

#include <cstddef>
#include <functional>

namespace liaison {

// DefaultThreads returns the number of hardware threads (at least 1).
int DefaultThreads();

// ParallelFor calls fn(begin, end) on disjoint chunks that cover [0, n),
// using up to `num_threads` threads (the calling thread is one of them), and
// returns when all chunks are done. Chunks hold at least `min_chunk` indices.
// fn must be safe to call concurrently on disjoint ranges and must not throw.
void ParallelFor(size_t n, int num_threads, size_t min_chunk,
                 const std::function<void(size_t begin, size_t end)>& fn);

}  // namespace liaison

#endif  // LIAISON_BASE_THREAD_POOL_H_
