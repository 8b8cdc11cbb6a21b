// Fuzz target: the input readers (data/input.h) — text, CSV and JSON lines —
// on a file whose contents come from the fuzz input. The first byte picks
// the format and whether the item type is fixed. Properties checked, beyond
// not crashing: records arrive in non-decreasing line order, each reject
// has a reason, and an error is one of the documented codes.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "base/strings.h"
#include "data/input.h"
#include "data/profile.h"
#include "fuzz_support.h"

namespace {

using liaison::data::Format;
using liaison::data::InputSpec;
using liaison::data::ItemType;

// MemFile is an in-memory file readable by path (/proc/self/fd/N).
class MemFile {
 public:
  MemFile(const uint8_t* data, size_t size)
      : fd_(memfd_create("liaison-fuzz-input", 0)) {
    if (fd_ < 0) std::abort();
    size_t done = 0;
    while (done < size) {
      ssize_t n = write(fd_, data + done, size - done);
      if (n <= 0) std::abort();
      done += static_cast<size_t>(n);
    }
  }
  ~MemFile() { close(fd_); }
  std::string path() const { return liaison::StrCat("/proc/self/fd/", fd_); }

 private:
  int fd_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  MemFile file(data + 1, size - 1);
  InputSpec spec;
  spec.path = file.path();
  switch (data[0] % 3) {
    case 0:
      spec.format = Format::kText;
      break;
    case 1:
      spec.format = Format::kCsv;
      spec.column = (data[0] & 4) ? "indicator" : "";
      break;
    default:
      spec.format = Format::kJsonLines;
      spec.field = "value";
      break;
  }
  if (data[0] & 8) spec.type = ItemType::kDomain;
  uint64_t last_line = 0;
  absl::Status st = liaison::data::ReadInput(
      spec, liaison::data::Profile::V1(),
      [&](liaison::data::Record&& r) {
        if (r.line < last_line || r.line == 0) std::abort();
        last_line = r.line;
      },
      [&](liaison::data::Reject&& r) {
        if (r.reason.empty() || r.line < last_line) std::abort();
        last_line = r.line;
      });
  if (!st.ok() && st.code() != absl::StatusCode::kInvalidArgument) {
    std::abort();
  }
  return 0;
}

std::vector<std::string> LiaisonFuzzSeeds() {
  return {
      std::string(1, 0) + "# feed\n198.51.100.7\nhxxp://evil[.]example/x\n\n"
                          "bad..domain\r\n2001:db8::1\n",
      std::string(1, 1 | 4) +
          "\xEF\xBB\xBFid,indicator\n1,evil.example\n2,\"quoted, "
          "\"\"x\"\".example\"\n3\n4,10.0.0.0/8\n",
      std::string(1, 2) +
          "{\"value\": \"evil.example\"}\n{\"value\": 42}\nnot json\n"
          "{\"other\": 1}\n[1,2]\n",
      std::string(1, 1 | 8) + "indicator\nExample.COM.\n\"unterminated\n",
  };
}
