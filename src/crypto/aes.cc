#include "crypto/aes.h"

#include "base/cpu.h"

#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

#include "base/log.h"
#include "base/secret.h"
#include "crypto/internal/aes_internal.h"
#include "crypto/internal/aes_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace liaison::crypto {

namespace internal {
namespace {

#if defined(__x86_64__) || defined(__i386__)
struct CpuFeatures {
  bool aes = false;
  bool pclmul = false;
  bool vaes512 = false;
  bool vpclmul512 = false;
};

const CpuFeatures& Cpu() {
  static const CpuFeatures features = [] {
    const CpuId& id = CpuFeatureBits();
    CpuFeatures f;
    f.aes = id.aes;
    f.pclmul = id.pclmul;
    const bool zmm = id.avx512f && OsSavesZmmState();
    f.vaes512 = f.aes && zmm && id.vaes;
    f.vpclmul512 = f.pclmul && zmm && id.vpclmulqdq;
    return f;
  }();
  return features;
}
#else
struct CpuFeatures {
  bool aes = false;
  bool pclmul = false;
  bool vaes512 = false;
  bool vpclmul512 = false;
};
const CpuFeatures& Cpu() {
  static const CpuFeatures features;
  return features;
}
#endif

const AesKernels& Kernels(AesImpl impl) {
  switch (impl) {
#if LIAISON_HAVE_VAES512_KERNELS
    case AesImpl::kVaes512:
      return kVaes512Kernels;
#endif
#if LIAISON_HAVE_AESNI_KERNELS
    case AesImpl::kAesNi:
      return kAesNiKernels;
#endif
    case AesImpl::kPortable:
      return kPortableAesKernels;
    default:
      break;
  }
  // A caller asked for a backend this binary lacks: a bug in the caller
  // (tests must check AesImplAvailable first).
  Log(LogLevel::kError, "AES: requested backend is not compiled in");
  std::abort();
}

const AesKernels& Selected() {
  static const AesKernels& kernels = Kernels(SelectedAesImpl());
  return kernels;
}

void CheckSizes(size_t in, size_t out, const char* what) {
  if (in != out) {
    // A caller bug that would otherwise write out of bounds or leave
    // outputs unset; there is no status to return it in.
    Log(LogLevel::kError,
        std::string(what) + ": input and output sizes differ");
    std::abort();
  }
}

const uint8_t* Bytes(const Block* b) {
  return reinterpret_cast<const uint8_t*>(b);
}
uint8_t* Bytes(Block* b) { return reinterpret_cast<uint8_t*>(b); }

const uint8_t* RoundKeyBytes(const Aes128& aes) {
  return Bytes(aes.round_keys().data());
}

void EncryptBlocksOn(const AesKernels& k, const Aes128& aes,
                     absl::Span<const Block> in, absl::Span<Block> out) {
  CheckSizes(in.size(), out.size(), "EncryptBlocks");
  if (in.empty()) return;
  k.encrypt_blocks(RoundKeyBytes(aes), Bytes(in.data()), Bytes(out.data()),
                   in.size());
}

void CrHashOn(const AesKernels& k, absl::Span<const Block> in,
              absl::Span<Block> out) {
  CheckSizes(in.size(), out.size(), "CrHash");
  if (in.empty()) return;
  k.cr_hash(RoundKeyBytes(FixedKeyAes()), Bytes(in.data()), Bytes(out.data()),
            in.size());
}

void TccrHashOn(const AesKernels& k, absl::Span<const Block> in,
                uint64_t tweak_start, absl::Span<Block> out) {
  CheckSizes(in.size(), out.size(), "TccrHash");
  if (in.empty()) return;
  k.tccr_hash(RoundKeyBytes(FixedKeyAes()), Bytes(in.data()), tweak_start,
              Bytes(out.data()), in.size());
}

void DaviesMeyerHashOn(const AesKernels& k, absl::Span<const Block> key,
                       absl::Span<const Block> in, absl::Span<Block> out) {
  CheckSizes(in.size(), out.size(), "DaviesMeyerHash");
  CheckSizes(key.size(), in.size(), "DaviesMeyerHash");
  if (in.empty()) return;
  k.davies_meyer(Bytes(key.data()), Bytes(in.data()), Bytes(out.data()),
                 in.size());
}

}  // namespace

const char* AesImplName(AesImpl impl) {
  switch (impl) {
    case AesImpl::kVaes512:
      return "vaes512";
    case AesImpl::kAesNi:
      return "aesni";
    case AesImpl::kPortable:
      break;
  }
  return "portable";
}

bool AesImplAvailable(AesImpl impl) {
  switch (impl) {
    case AesImpl::kPortable:
      return true;
    case AesImpl::kAesNi:
#if LIAISON_HAVE_AESNI_KERNELS
      return Cpu().aes;
#else
      return false;
#endif
    case AesImpl::kVaes512:
#if LIAISON_HAVE_VAES512_KERNELS
      return Cpu().vaes512;
#else
      return false;
#endif
  }
  return false;
}

AesImpl SelectedAesImpl() {
  static const AesImpl impl = [] {
    if (EnvFlagSet("LIAISON_NO_AESNI")) return AesImpl::kPortable;
    if (!EnvFlagSet("LIAISON_NO_AVX512") &&
        AesImplAvailable(AesImpl::kVaes512)) {
      return AesImpl::kVaes512;
    }
    if (AesImplAvailable(AesImpl::kAesNi)) return AesImpl::kAesNi;
    return AesImpl::kPortable;
  }();
  return impl;
}

bool CpuHasPclmul() { return Cpu().pclmul; }
bool CpuHasVpclmul512() { return Cpu().vpclmul512; }

void ExpandKeyWith(AesImpl impl, const Block& key,
                   std::array<Block, 11>& round_keys) {
  uint8_t key_bytes[16];
  key.ToBytes(key_bytes);
  Kernels(impl).expand_key(key_bytes, Bytes(round_keys.data()));
  SecureWipe(key_bytes, sizeof(key_bytes));
}

void EncryptBlocksWith(AesImpl impl, const Aes128& aes,
                       absl::Span<const Block> in, absl::Span<Block> out) {
  EncryptBlocksOn(Kernels(impl), aes, in, out);
}

void EncryptCounterWith(AesImpl impl, const Aes128& aes, uint64_t start,
                        absl::Span<Block> out) {
  CtrKeystreamWith(impl, aes, 0, start, Bytes(out.data()), out.size());
}

void EncryptCounterManyOn(const AesKernels& k, absl::Span<const Aes128> keys, uint64_t start,
                          size_t blocks, absl::Span<Block> out) {
  CheckSizes(keys.size() * blocks, out.size(), "EncryptCounterMany");
  if (keys.empty() || blocks == 0) return;
  k.counter_many(RoundKeyBytes(keys[0]), keys.size(), start, Bytes(out.data()), blocks);
}

void EncryptCounterManyWith(AesImpl impl, absl::Span<const Aes128> keys, uint64_t start,
                            size_t blocks, absl::Span<Block> out) {
  EncryptCounterManyOn(Kernels(impl), keys, start, blocks, out);
}

void CrHashWith(AesImpl impl, absl::Span<const Block> in,
                absl::Span<Block> out) {
  CrHashOn(Kernels(impl), in, out);
}

void DaviesMeyerHashWith(AesImpl impl, absl::Span<const Block> key,
                         absl::Span<const Block> in, absl::Span<Block> out) {
  DaviesMeyerHashOn(Kernels(impl), key, in, out);
}

void TccrHashWith(AesImpl impl, absl::Span<const Block> in,
                  uint64_t tweak_start, absl::Span<Block> out) {
  TccrHashOn(Kernels(impl), in, tweak_start, out);
}

void CtrKeystreamWith(AesImpl impl, const Aes128& aes, uint64_t hi,
                      uint64_t start, uint8_t* out, size_t num_blocks) {
  if (num_blocks == 0) return;
  Kernels(impl).counter(RoundKeyBytes(aes), hi, start, out, num_blocks);
}

void CtrKeystream(const Aes128& aes, uint64_t hi, uint64_t start, uint8_t* out,
                  size_t num_blocks) {
  if (num_blocks == 0) return;
  Selected().counter(RoundKeyBytes(aes), hi, start, out, num_blocks);
}

}  // namespace internal

Aes128::Aes128(const Block& key) {
  internal::ExpandKeyWith(internal::SelectedAesImpl(), key, round_keys_);
}

Aes128::~Aes128() { SecureWipe(round_keys_.data(), sizeof(round_keys_)); }

Block Aes128::Encrypt(const Block& in) const {
  Block out;
  internal::Selected().encrypt_blocks(internal::RoundKeyBytes(*this),
                                      internal::Bytes(&in),
                                      internal::Bytes(&out), 1);
  return out;
}

void Aes128::EncryptBlocks(absl::Span<const Block> in,
                           absl::Span<Block> out) const {
  internal::EncryptBlocksOn(internal::Selected(), *this, in, out);
}

void Aes128::EncryptCounter(uint64_t start, absl::Span<Block> out) const {
  internal::CtrKeystream(*this, 0, start, internal::Bytes(out.data()),
                         out.size());
}

// The kernels read an array of Aes128 as key schedules 176 bytes apart.
static_assert(sizeof(Aes128) == 176 && std::is_standard_layout_v<Aes128>,
              "an Aes128 is its 11 round keys and nothing else");

void EncryptCounterMany(absl::Span<const Aes128> keys, uint64_t start, size_t blocks,
                        absl::Span<Block> out) {
  internal::EncryptCounterManyOn(internal::Selected(), keys, start, blocks, out);
}

const Aes128& FixedKeyAes() {
  // The first 128 bits of the fractional part of π (nothing up the sleeve).
  static constexpr uint8_t kKey[16] = {0x24, 0x3F, 0x6A, 0x88, 0x85, 0xA3,
                                       0x08, 0xD3, 0x13, 0x19, 0x8A, 0x2E,
                                       0x03, 0x70, 0x73, 0x44};
  static const Aes128 aes(Block::FromBytes(kKey));
  return aes;
}

void CrHash(absl::Span<const Block> in, absl::Span<Block> out) {
  internal::CrHashOn(internal::Selected(), in, out);
}

void TccrHash(absl::Span<const Block> in, uint64_t tweak_start,
              absl::Span<Block> out) {
  internal::TccrHashOn(internal::Selected(), in, tweak_start, out);
}

void DaviesMeyerHash(absl::Span<const Block> key, absl::Span<const Block> in,
                     absl::Span<Block> out) {
  internal::DaviesMeyerHashOn(internal::Selected(), key, in, out);
}

const char* AesBackend() {
  return internal::AesImplName(internal::SelectedAesImpl());
}

}  // namespace liaison::crypto
