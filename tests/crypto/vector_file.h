// Reader for the known-answer files under tests/vectors/: blocks of
// "key = value" lines separated by blank lines, '#' starting a comment line.
#ifndef LIAISON_TESTS_CRYPTO_VECTOR_FILE_H_
#define LIAISON_TESTS_CRYPTO_VECTOR_FILE_H_

#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace liaison::crypto::testing {

using VectorBlock = std::map<std::string, std::string>;

// ReadVectorFile returns the blocks of the file at LIAISON_SOURCE_DIR /
// `relative_path`, in order; an unreadable file gives no blocks (the caller
// asserts a count). A value keeps everything after "= ", so an empty value
// is written "key =".
inline std::vector<VectorBlock> ReadVectorFile(
    const std::string& relative_path) {
  std::ifstream in(std::string(LIAISON_SOURCE_DIR) + "/" + relative_path);
  std::vector<VectorBlock> blocks;
  VectorBlock current;
  std::string line;
  auto flush = [&] {
    if (!current.empty()) blocks.push_back(std::move(current));
    current.clear();
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      flush();
      continue;
    }
    if (line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq);
    while (!key.empty() && key.back() == ' ') key.pop_back();
    std::string value = line.substr(eq + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    current[key] = value;
  }
  flush();
  return blocks;
}

}  // namespace liaison::crypto::testing

#endif  // LIAISON_TESTS_CRYPTO_VECTOR_FILE_H_
