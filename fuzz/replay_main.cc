// The driver of a fuzz target when libFuzzer is not used (see
// fuzz_support.h): runs the target's seeds, the files and directories given,
// and --mutations=N deterministic mutations of the seeds (--seed=S). A crash,
// a sanitizer report or an abort is the failure. With LIAISON_FUZZ_VERBOSE
// set the driver names each mutation before running it; `--mutations=K
// --seed=S --dump=DIR` writes the seeds and mutation K to DIR.
#include <dirent.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "fuzz_support.h"

namespace {

void Run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()),
                         input.size());
}

bool ReadFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), {});
  return true;
}

void CollectFiles(const std::string& path, std::vector<std::string>& out) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    out.push_back(path);
    return;
  }
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    CollectFiles(path + "/" + e->d_name, out);
  }
  closedir(dir);
}

// Mutate applies one to four of the usual byte-level mutations: bit flip,
// byte set, truncation, erase, insertion of random bytes, duplication of a
// range, and a small add to a little-endian u32 (which is how protocol
// lengths and counts are written).
std::string Mutate(std::string s, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng() % n); };
  const int rounds = 1 + static_cast<int>(rng() % 4);
  for (int r = 0; r < rounds; ++r) {
    switch (rng() % 7) {
      case 0:
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:
        if (!s.empty()) s[pick(s.size())] = static_cast<char>(rng());
        break;
      case 2:
        s.resize(pick(s.size() + 1));
        break;
      case 3:
        if (!s.empty()) {
          size_t at = pick(s.size());
          s.erase(at, 1 + pick(std::min<size_t>(64, s.size() - at)));
        }
        break;
      case 4: {
        std::string ins(1 + pick(16), '\0');
        for (char& c : ins) c = static_cast<char>(rng());
        s.insert(pick(s.size() + 1), ins);
        break;
      }
      case 5:
        if (!s.empty()) {
          size_t at = pick(s.size());
          size_t len = 1 + pick(std::min<size_t>(64, s.size() - at));
          s.insert(pick(s.size() + 1), s.substr(at, len));
        }
        break;
      default:
        if (s.size() >= 4) {
          size_t at = pick(s.size() - 3);
          uint32_t v;
          std::memcpy(&v, s.data() + at, 4);
          v += static_cast<uint32_t>(rng() % 33) - 16;
          std::memcpy(s.data() + at, &v, 4);
        }
        break;
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  long mutations = 0;
  uint64_t seed = 1;
  std::string dump;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--mutations=", 0) == 0) {
      mutations = std::strtol(a.c_str() + 12, nullptr, 10);
    } else if (a.rfind("--seed=", 0) == 0) {
      seed = std::strtoull(a.c_str() + 7, nullptr, 10);
    } else if (a.rfind("--dump=", 0) == 0) {
      dump = a.substr(7);
    } else {
      CollectFiles(a, files);
    }
  }
  const bool verbose = std::getenv("LIAISON_FUZZ_VERBOSE") != nullptr;
  const std::vector<std::string> seeds = LiaisonFuzzSeeds();
  if (!dump.empty()) {
    // Write the seeds (as seed-<i>) and, with --mutations=K, mutation K.
    for (size_t i = 0; i < seeds.size(); ++i) {
      std::ofstream(dump + "/seed-" + std::to_string(i), std::ios::binary)
          << seeds[i];
    }
  }
  for (const std::string& s : seeds) Run(s);
  for (const std::string& f : files) {
    std::string input;
    if (!ReadFile(f, input)) {
      std::fprintf(stderr, "cannot read %s\n", f.c_str());
      return 2;
    }
    Run(input);
  }
  std::mt19937_64 rng(seed);
  for (long k = 1; k <= mutations; ++k) {
    std::string input =
        seeds.empty() ? std::string() : seeds[rng() % seeds.size()];
    input = Mutate(std::move(input), rng);
    if (!dump.empty() && k == mutations) {
      std::ofstream(dump + "/mutation-" + std::to_string(k), std::ios::binary)
          << input;
    }
    if (verbose) std::fprintf(stderr, "mutation %ld\n", k);
    Run(input);
  }
  std::fprintf(stderr, "%zu seeds, %zu files, %ld mutations (seed %llu): ok\n",
               seeds.size(), files.size(), mutations,
               static_cast<unsigned long long>(seed));
  return 0;
}
