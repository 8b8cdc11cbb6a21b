// Results of the node load tool: named figures in the order they were
// added, printed as "key: value" lines or as one JSON object.
#ifndef LIAISON_BENCH_NODE_LOAD_REPORT_H_
#define LIAISON_BENCH_NODE_LOAD_REPORT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace liaison::load {

// Report collects the figures of one run. Not thread-safe: scenarios fill
// it after their threads have joined.
class Report {
 public:
  template <typename T>
  void Add(const std::string& key, const T& value) {
    figures_[key] = value;
  }

  // AddLatencies adds `prefix`_p50_ms, _p99_ms and _max_ms of
  // `latencies_ms` (nothing but a count of 0 when it is empty).
  void AddLatencies(const std::string& prefix, std::vector<double> latencies_ms);

  // Print writes the figures to stdout, as JSON when `json`.
  void Print(bool json) const;

 private:
  nlohmann::ordered_json figures_ = nlohmann::ordered_json::object();
};

// Percentile returns the `p`-th percentile (0 < p <= 100, nearest rank) of
// `sorted`, which must be sorted and not empty.
double Percentile(const std::vector<double>& sorted, double p);

}  // namespace liaison::load

#endif  // LIAISON_BENCH_NODE_LOAD_REPORT_H_
