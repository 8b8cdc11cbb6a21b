// LLVMFuzzerInitialize for the libFuzzer builds (-DLIAISON_FUZZ=ON): gives
// libFuzzer the target's recorded seeds (LiaisonFuzzSeeds), which exist only
// inside the binary, by writing them to a fresh temporary directory and
// appending it to the corpus directories on the command line. So
//
//   build-fuzz/fuzz/rr22_psi_fuzz -max_total_time=60          starts from the seeds
//   build-fuzz/fuzz/rr22_psi_fuzz CORPUS -max_total_time=60   CORPUS plus the seeds;
//                                                             new inputs go to CORPUS
//
// When any input on the command line is a file (running a crash input,
// -minimize_crash) nothing is added, and LIAISON_FUZZ_NO_SEEDS=1 turns it
// off. The directory is removed when the process exits normally (it stays
// behind after a crash, next to the crash input libFuzzer writes).
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz_support.h"

namespace {

std::string* g_seed_dir = nullptr;

void RemoveSeedDir() {
  if (g_seed_dir == nullptr) return;
  std::error_code ignored;
  std::filesystem::remove_all(*g_seed_dir, ignored);
}

bool IsDirectory(const char* path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  if (std::getenv("LIAISON_FUZZ_NO_SEEDS") != nullptr) return 0;
  for (int i = 1; i < *argc; ++i) {
    const char* arg = (*argv)[i];
    if (arg[0] != '-' && !IsDirectory(arg)) return 0;  // inputs to run as they are
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && tmp[0] != '\0' ? tmp : "/tmp") +
                      "/liaison-fuzz-seeds-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    std::perror("liaison fuzz: cannot create the seed directory");
    return 0;
  }
  g_seed_dir = new std::string(templ);
  std::atexit(RemoveSeedDir);
  const std::vector<std::string> seeds = LiaisonFuzzSeeds();
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::ofstream out(*g_seed_dir + "/seed-" + std::to_string(i), std::ios::binary);
    out << seeds[i];
    if (!out) {
      std::fprintf(stderr, "liaison fuzz: cannot write seed %zu to %s\n", i,
                   g_seed_dir->c_str());
      return 0;
    }
  }
  // libFuzzer reads its arguments from *argv after this returns; the new
  // array lives as long as the process.
  char** args = new char*[*argc + 2];
  for (int i = 0; i < *argc; ++i) args[i] = (*argv)[i];
  args[*argc] = g_seed_dir->data();
  args[*argc + 1] = nullptr;
  *argv = args;
  *argc += 1;
  std::fprintf(stderr, "liaison fuzz: %zu recorded seeds in %s, added to the corpus\n",
               seeds.size(), g_seed_dir->c_str());
  return 0;
}
