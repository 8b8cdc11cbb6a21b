// Constant-time check of the portable X25519 and hash-to-curve code, run
// under valgrind's memcheck (the "ctgrind" technique): the scalar, the
// input points and the messages are marked undefined, so memcheck reports
// every branch taken on, and every address computed from, data derived
// from them. The program exits non-zero under valgrind if there is one.
//
// Valgrind cannot execute AVX-512, so only the portable backend is
// checked; the IFMA kernels are branch-free by construction (masks and
// k-register blends) and are compared against the portable code by the
// unit tests.
#include <valgrind/memcheck.h>

#include <cstdio>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "crypto/internal/x25519_internal.h"
#include "crypto/prng.h"
#include "crypto/x25519.h"

namespace liaison::crypto {
namespace {

void Secret(const void* p, size_t len) {
  VALGRIND_MAKE_MEM_UNDEFINED(const_cast<void*>(p), len);
}

void Public(const void* p, size_t len) {
  VALGRIND_MAKE_MEM_DEFINED(const_cast<void*>(p), len);
}

int Run() {
  using internal::X25519Impl;
  Prng prng = Prng::FromTestSeed(0x6374677269640001);
  const X25519Scalar k = X25519Scalar::Random(prng);
  std::vector<MontPoint> points(20);
  for (auto& p : points) prng.Fill(absl::MakeSpan(p));
  points[3] = MontPoint{};  // small order: exercises the zero masking
  std::vector<std::string> items = {"198.51.100.23", "secret.example.org", ""};
  std::vector<ByteSpan> msgs;
  for (const auto& item : items) msgs.push_back(AsBytes(item));
  const std::string dst = "liaison-ct-check";

  Secret(k.bytes().data(), 32);
  for (const auto& p : points) Secret(p.data(), p.size());
  for (const auto& item : items) Secret(item.data(), item.size());

  MontPoint single = X25519(k, points[0]);
  std::vector<MontPoint> blinded(points.size());
  internal::X25519BatchWith(X25519Impl::kPortable, k, points,
                            absl::MakeSpan(blinded));
  std::vector<MontPoint> hashed(msgs.size());
  internal::HashToCurve25519BatchWith(X25519Impl::kPortable, msgs, AsBytes(dst),
                                      absl::MakeSpan(hashed));
  MontPoint hashed_single = HashToCurve25519(msgs[1], AsBytes(dst));
  bool canonical = IsCanonicalPoint(single);

  // Outputs are public once computed (they are sent to the peer).
  Public(single.data(), single.size());
  Public(hashed_single.data(), hashed_single.size());
  Public(&canonical, sizeof(canonical));
  for (const auto& p : blinded) Public(p.data(), p.size());
  for (const auto& p : hashed) Public(p.data(), p.size());
  std::printf("x25519 %s, hash %s, canonical %d\n", ToHex(single).c_str(),
              ToHex(hashed_single).c_str(), canonical ? 1 : 0);
  return 0;
}

}  // namespace
}  // namespace liaison::crypto

int main() { return liaison::crypto::Run(); }
