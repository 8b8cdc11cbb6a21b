#include "node_load/flags.h"

#include <cstdio>
#include <cstdlib>

namespace liaison::load {

bool Flags::Parse(int argc, char** argv, int first, const std::set<std::string>& booleans,
                  std::string& error) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      error = "unexpected argument: " + arg;
      return false;
    }
    arg.erase(0, 2);
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      values_[arg.substr(0, eq)] = arg.substr(eq + 1);
    } else if (booleans.count(arg) != 0) {
      values_[arg] = "true";
    } else if (i + 1 < argc) {
      values_[arg] = argv[++i];
    } else {
      error = "--" + arg + " needs a value";
      return false;
    }
  }
  return true;
}

long long Flags::Int(const std::string& name, long long fallback, long long min, long long max) {
  read_.insert(name);
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  char* end = nullptr;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || v < min || v > max) {
    std::fprintf(stderr, "node_load: --%s must be an integer from %lld to %lld\n", name.c_str(),
                 min, max);
    std::exit(2);
  }
  return v;
}

std::string Flags::String(const std::string& name, const std::string& fallback) {
  read_.insert(name);
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

bool Flags::Bool(const std::string& name) {
  read_.insert(name);
  auto it = values_.find(name);
  return it != values_.end() && it->second != "false" && it->second != "0";
}

std::string Flags::Unread() const {
  for (const auto& [name, value] : values_) {
    if (read_.count(name) == 0) return name;
  }
  return "";
}

}  // namespace liaison::load
