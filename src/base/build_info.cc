#include "base/build_info.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "base/bytes.h"
#include "base/strings.h"

namespace liaison {
namespace {

constexpr size_t kDigestHexLen = 64;

// Sha256OfFile hashes the file with OpenSSL's EVP interface directly: base/
// sits below crypto/ and must not include it.
absl::StatusOr<std::string> Sha256OfFile(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (f == nullptr) {
    return absl::NotFoundError(StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return absl::InternalError("SHA-256 is unavailable");
  }
  std::vector<uint8_t> buf(1 << 16);
  for (;;) {
    size_t n = std::fread(buf.data(), 1, buf.size(), f.get());
    if (n > 0 && EVP_DigestUpdate(ctx.get(), buf.data(), n) != 1) {
      return absl::InternalError("SHA-256 failed");
    }
    if (n < buf.size()) break;
  }
  if (std::ferror(f.get())) return absl::DataLossError(StrCat("cannot read ", path));
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1 || len != 32) {
    return absl::InternalError("SHA-256 failed");
  }
  return StrCat(kBuildDigestPrefix, ToHex(ByteSpan(digest, len)));
}

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

absl::StatusOr<std::string> BuildDigest() {
  // A function-local static is initialised once, thread-safely; the
  // executable cannot change under a running process (the kernel keeps the
  // inode, even if the path is replaced), so the value stays true.
  static const absl::StatusOr<std::string>* const digest = [] {
    absl::StatusOr<std::string> d = Sha256OfFile("/proc/self/exe");
    if (!d.ok()) {
      d = absl::FailedPreconditionError(
          StrCat("cannot read the running executable to compute its build digest: ",
                 std::string(d.status().message())));
    }
    return new absl::StatusOr<std::string>(std::move(d));
  }();
  return *digest;
}

std::string BuildDigestOrEmpty() {
  absl::StatusOr<std::string> d = BuildDigest();
  return d.ok() ? *std::move(d) : std::string();
}

absl::StatusOr<std::string> FileBuildDigest(const std::string& path) {
  return Sha256OfFile(path);
}

bool IsBuildDigest(std::string_view s) {
  const std::string_view prefix = kBuildDigestPrefix;
  if (s.size() != prefix.size() + kDigestHexLen || s.substr(0, prefix.size()) != prefix) {
    return false;
  }
  for (char c : s.substr(prefix.size())) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

absl::StatusOr<std::string> ParseBuildDigest(std::string_view s) {
  const std::string_view prefix = kBuildDigestPrefix;
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (!IsBuildDigest(out)) {
    return absl::InvalidArgumentError(
        StrCat("\"", s, "\" is not a build digest (", prefix, " and 64 hex digits, as `liaison ",
               "version` prints it)"));
  }
  return out;
}

}  // namespace liaison
