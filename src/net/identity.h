// A node's identity: an Ed25519 key pair and a self-signed X.509 certificate
// for it, kept in a directory as node.key (PKCS#8 PEM, mode 0600) and node.crt
// (PEM). Peers are pinned by the fingerprint of the public key, as SSH and
// WireGuard do; certificates only carry the key through TLS, so no CA, name or
// validity period is checked (tls_channel.h).
//
// Fingerprint format: "sha256:" followed by 64 lower-case hex digits, the
// SHA-256 of the DER SubjectPublicKeyInfo of the key. It pins the key, not the
// certificate: a certificate re-issued for the same key keeps its fingerprint.
#ifndef LIAISON_NET_IDENTITY_H_
#define LIAISON_NET_IDENTITY_H_

#include <openssl/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/bytes.h"

namespace liaison::net {

inline constexpr char kIdentityKeyFile[] = "node.key";
inline constexpr char kIdentityCertFile[] = "node.crt";
inline constexpr char kFingerprintPrefix[] = "sha256:";

inline constexpr size_t kEd25519PublicKeyLen = 32;
inline constexpr size_t kEd25519SignatureLen = 64;
using Ed25519PublicKey = std::array<uint8_t, kEd25519PublicKeyLen>;
using Ed25519Signature = std::array<uint8_t, kEd25519SignatureLen>;

// GenerateIdentity creates a new Ed25519 identity in `dir` and returns its
// fingerprint. `dir` and missing parents are created with mode 0700. node.key
// is written with mode 0600 from its creation (never readable by others, even
// briefly) and node.crt with mode 0644; each is written to a temporary file
// and then linked into place, so a crash leaves no half-written identity under
// the final names. The certificate is X.509 v3, self-signed, with a random
// 128-bit serial, subject CN "liaison node", ten years of validity,
// basicConstraints CA:FALSE and keyUsage digitalSignature (both critical).
//
// Returns AlreadyExists if node.key or node.crt is already in `dir` (an
// identity is never overwritten), and Internal or the errno-derived code if a
// file cannot be written.
absl::StatusOr<std::string> GenerateIdentity(const std::string& dir);

// CertificateFingerprint returns the fingerprint of the key in the PEM
// certificate at `cert_path`: NotFound if the file is missing, InvalidArgument
// if it holds no certificate.
absl::StatusOr<std::string> CertificateFingerprint(const std::string& cert_path);

// CertificatePublicKey returns the raw Ed25519 public key in the PEM
// certificate at `cert_path`, for checking signatures without the private key
// (an auditor verifying a node's audit log). NotFound if the file is missing,
// InvalidArgument if it holds no certificate or the key is not Ed25519.
absl::StatusOr<Ed25519PublicKey> CertificatePublicKey(const std::string& cert_path);

// CertificateFingerprint returns the fingerprint of the key in `cert`, or ""
// if its key cannot be encoded (not for a certificate OpenSSL has parsed).
std::string CertificateFingerprint(const X509* cert);

// PublicKeyFingerprint returns the fingerprint of a raw Ed25519 public key, the
// same string CertificateFingerprint gives for a certificate carrying it.
// InvalidArgument unless `public_key` is 32 bytes.
absl::StatusOr<std::string> PublicKeyFingerprint(ByteSpan public_key);

// NormalizeFingerprint returns the canonical form ("sha256:" + 64 lower-case
// hex) of a fingerprint as a person may paste it: any case, with or without
// the "sha256:" prefix, with or without ':' between digits, surrounded by
// white space. Anything else (another hash name, wrong length, non-hex) is
// InvalidArgument.
absl::StatusOr<std::string> NormalizeFingerprint(std::string_view fingerprint);

// Identity holds a node's private key and certificate. It is move-only; the
// OpenSSL objects are freed (the key wiped by OpenSSL) on destruction. A const
// Identity may be used by several threads at once.
class Identity {
 public:
  // Load reads node.key and node.crt from `dir`. It returns NotFound if either
  // is missing, PermissionDenied if node.key is readable or writable by group
  // or others (the message says how to fix it), InvalidArgument if a file is
  // not what it should be (an encrypted or non-Ed25519 key, no certificate),
  // and FailedPrecondition if the certificate is not for the key.
  static absl::StatusOr<Identity> Load(const std::string& dir);

  Identity(Identity&& other) noexcept;
  Identity& operator=(Identity&& other) noexcept;
  Identity(const Identity&) = delete;
  Identity& operator=(const Identity&) = delete;
  ~Identity();

  // fingerprint returns the canonical fingerprint of this node's key.
  const std::string& fingerprint() const { return fingerprint_; }

  // public_key returns the raw Ed25519 public key.
  const Ed25519PublicKey& public_key() const { return public_key_; }

  // private_key and certificate give the TLS code the OpenSSL objects; they
  // stay owned by this Identity and live as long as it. OpenSSL functions that
  // keep them (SSL_CTX_use_PrivateKey, ...) take their own reference.
  EVP_PKEY* private_key() const { return pkey_; }
  X509* certificate() const { return cert_; }

  // Sign returns the Ed25519 signature of `message` (RFC 8032, pure Ed25519).
  // Internal only if OpenSSL fails.
  absl::StatusOr<Ed25519Signature> Sign(ByteSpan message) const;

  // Verify checks an Ed25519 signature. It returns OK if `signature` is a
  // valid signature of `message` by `public_key`, InvalidArgument if
  // `public_key` is not a 32-byte Ed25519 key, and DataLoss if the signature
  // has the wrong length or does not verify (a forged or corrupted record).
  static absl::Status Verify(ByteSpan public_key, ByteSpan message,
                             ByteSpan signature);

 private:
  Identity(EVP_PKEY* pkey, X509* cert);

  EVP_PKEY* pkey_ = nullptr;
  X509* cert_ = nullptr;
  Ed25519PublicKey public_key_{};
  std::string fingerprint_;
};

}  // namespace liaison::net

#endif  // LIAISON_NET_IDENTITY_H_
