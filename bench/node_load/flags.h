// Command-line flags of the node load tool: "--name value" or
// "--name=value", and bare "--name" for a boolean.
#ifndef LIAISON_BENCH_NODE_LOAD_FLAGS_H_
#define LIAISON_BENCH_NODE_LOAD_FLAGS_H_

#include <map>
#include <set>
#include <string>

namespace liaison::load {

// Flags holds parsed flags. A flag the scenario does not read is an error
// (Unread), so that a misspelt flag does not silently change nothing.
class Flags {
 public:
  // Parse reads argv[first..argc); `booleans` names the flags that take no
  // value. It returns false with `error` set on a malformed command line.
  bool Parse(int argc, char** argv, int first, const std::set<std::string>& booleans,
             std::string& error);

  // Int returns the flag's value, `fallback` if absent; a value that is not
  // an integer in [min, max] exits the program with status 2.
  long long Int(const std::string& name, long long fallback, long long min, long long max);
  std::string String(const std::string& name, const std::string& fallback);
  bool Bool(const std::string& name);

  // Unread returns the first flag given but never read ("" if none).
  std::string Unread() const;

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> read_;
};

}  // namespace liaison::load

#endif  // LIAISON_BENCH_NODE_LOAD_FLAGS_H_
