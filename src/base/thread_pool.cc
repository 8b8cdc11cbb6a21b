#include "base/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace liaison {

int DefaultThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void ParallelFor(size_t n, int num_threads, size_t min_chunk,
                 const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  min_chunk = std::max<size_t>(min_chunk, 1);
  size_t max_workers = (n + min_chunk - 1) / min_chunk;
  size_t workers = std::min<size_t>(std::max(num_threads, 1), max_workers);
  if (workers <= 1) {
    fn(0, n);
    return;
  }
  // Work is handed out in chunks from a shared counter so a slow core does
  // not hold the others up.
  size_t chunk = std::max(min_chunk, n / (workers * 8));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (;;) {
      size_t begin = next.fetch_add(chunk);
      if (begin >= n) return;
      fn(begin, std::min(n, begin + chunk));
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(workers - 1);
  for (size_t i = 1; i < workers; ++i) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
}

}  // namespace liaison
