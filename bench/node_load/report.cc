#include "node_load/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace liaison::load {

double Percentile(const std::vector<double>& sorted, double p) {
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

void Report::AddLatencies(const std::string& prefix, std::vector<double> latencies_ms) {
  Add(prefix + "_count", latencies_ms.size());
  if (latencies_ms.empty()) return;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto rounded = [](double ms) { return std::round(ms * 10) / 10; };
  Add(prefix + "_p50_ms", rounded(Percentile(latencies_ms, 50)));
  Add(prefix + "_p99_ms", rounded(Percentile(latencies_ms, 99)));
  Add(prefix + "_max_ms", rounded(latencies_ms.back()));
}

void Report::Print(bool json) const {
  if (json) {
    std::printf("%s\n", figures_.dump(2).c_str());
    return;
  }
  for (const auto& [key, value] : figures_.items()) {
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    std::printf("%s: %s\n", key.c_str(), text.c_str());
  }
  std::fflush(stdout);
}

}  // namespace liaison::load
