#include "net/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <utility>

#include "base/secret.h"
#include "base/status.h"
#include "base/strings.h"

namespace liaison::net {
namespace {

constexpr char kSubjectCommonName[] = "liaison node";
constexpr long kValidityDays = 3652;  // Ten years, leap days included.
// node.key and node.crt are small; a larger file is not ours.
constexpr size_t kMaxIdentityFileLen = 64 << 10;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, ExtFree>;

// OpenSslError returns Internal naming `what` and the first queued OpenSSL
// error, and clears the queue. OpenSSL error strings never hold key material.
absl::Status OpenSslError(std::string_view what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "no detail";
  if (e != 0) ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return absl::InternalError(StrCat(what, " failed (", buf, ")"));
}

absl::Status ErrnoStatus(int err, std::string_view what) {
  return absl::ErrnoToStatus(err, std::string(what));
}

std::string JoinPath(const std::string& dir, std::string_view name) {
  if (!dir.empty() && dir.back() == '/') return StrCat(dir, name);
  return StrCat(dir, "/", name);
}

// FingerprintOfSpki hashes a DER SubjectPublicKeyInfo.
std::string FingerprintOfSpki(const unsigned char* der, size_t len) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(der, len, md, &md_len, EVP_sha256(), nullptr) != 1 || md_len != 32) {
    // SHA-256 over a buffer in memory cannot fail short of memory exhaustion.
    ERR_clear_error();
    return "";
  }
  return StrCat(kFingerprintPrefix, ToHex(ByteSpan(md, md_len)));
}

std::string PkeyFingerprint(const EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) {
    ERR_clear_error();
    return "";
  }
  std::string fp = FingerprintOfSpki(der, static_cast<size_t>(len));
  OPENSSL_free(der);
  return fp;
}

// ReadSmallFile reads a whole file of at most kMaxIdentityFileLen bytes into
// wiping memory. If `st` is not null it receives the file's fstat, taken on
// the descriptor that was read, so the check and the read see the same file.
absl::StatusOr<SecretBytes> ReadSmallFile(const std::string& path,
                                          struct stat* st) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, StrCat("cannot open ", path));
  struct stat local;
  if (st == nullptr) st = &local;
  if (fstat(fd, st) != 0) {
    int err = errno;
    close(fd);
    return ErrnoStatus(err, StrCat("cannot stat ", path));
  }
  if (!S_ISREG(st->st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(StrCat(path, " is not a regular file"));
  }
  if (static_cast<uint64_t>(st->st_size) > kMaxIdentityFileLen) {
    close(fd);
    return absl::InvalidArgumentError(
        StrCat(path, " is too large (", static_cast<uint64_t>(st->st_size),
               " bytes) to be a liaison identity file"));
  }
  SecretBytes buf(static_cast<size_t>(st->st_size));
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = read(fd, buf.data() + done, buf.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return ErrnoStatus(err, StrCat("cannot read ", path));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  if (done != buf.size()) {
    SecretBytes shorter(buf.span().subspan(0, done));
    return shorter;
  }
  return buf;
}

absl::StatusOr<X509Ptr> ParseCertificate(const SecretBytes& pem,
                                         const std::string& path) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslError("BIO_new_mem_buf");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        StrCat(path, " does not hold a PEM certificate"));
  }
  return cert;
}

// RefusePassphrase stops OpenSSL from prompting on the terminal for the
// passphrase of an encrypted key.
int RefusePassphrase(char*, int, int, void*) { return 0; }

// MakeDirs creates `dir` and its missing parents with mode 0700.
absl::Status MakeDirs(const std::string& dir) {
  if (dir.empty()) return absl::InvalidArgumentError("identity directory is empty");
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    std::string prefix = dir.substr(0, pos);
    if (prefix.empty()) continue;
    if (mkdir(prefix.c_str(), 0700) == 0) {
      // The umask may have cleared owner bits; the directory must be usable.
      if (chmod(prefix.c_str(), 0700) != 0) {
        return ErrnoStatus(errno, StrCat("cannot set the mode of ", prefix));
      }
      continue;
    }
    if (errno != EEXIST) {
      return ErrnoStatus(errno, StrCat("cannot create directory ", prefix));
    }
    struct stat st;
    if (stat(prefix.c_str(), &st) != 0) {
      return ErrnoStatus(errno, StrCat("cannot stat ", prefix));
    }
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(
          StrCat(prefix, " exists and is not a directory"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RandomSuffix() {
  uint8_t r[8];
  if (RAND_bytes(r, sizeof(r)) != 1) return OpenSslError("RAND_bytes");
  return ToHex(ByteSpan(r, sizeof(r)));
}

// WriteTempFile writes `data` to a new file `path` created exclusively with
// `mode`, and syncs it. The mode is set by open() itself, so the file is
// never readable by others, not even between creation and a chmod.
absl::Status WriteTempFile(const std::string& path, ByteSpan data, mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                mode);
  if (fd < 0) return ErrnoStatus(errno, StrCat("cannot create ", path));
  absl::Status status;
  // open() applies the umask; make the mode exact (it can only widen bits the
  // umask removed from `mode`, never beyond it).
  if (fchmod(fd, mode) != 0) {
    status = ErrnoStatus(errno, StrCat("cannot set the mode of ", path));
  }
  size_t done = 0;
  while (status.ok() && done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = ErrnoStatus(errno, StrCat("cannot write ", path));
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (status.ok() && fsync(fd) != 0) {
    status = ErrnoStatus(errno, StrCat("cannot sync ", path));
  }
  if (close(fd) != 0 && status.ok()) {
    status = ErrnoStatus(errno, StrCat("cannot close ", path));
  }
  if (!status.ok()) unlink(path.c_str());
  return status;
}

// LinkNew gives the temporary file `from` the name `to`, failing with
// AlreadyExists instead of replacing an existing file (rename would replace).
absl::Status LinkNew(const std::string& from, const std::string& to) {
  if (link(from.c_str(), to.c_str()) == 0) return absl::OkStatus();
  if (errno == EEXIST) {
    return absl::AlreadyExistsError(
        StrCat(to, " already exists; refusing to overwrite an identity"));
  }
  return ErrnoStatus(errno, StrCat("cannot create ", to));
}

absl::Status AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext) return OpenSslError(StrCat("creating extension ", value));
  if (X509_add_ext(cert, ext.get(), -1) != 1) return OpenSslError("X509_add_ext");
  return absl::OkStatus();
}

absl::StatusOr<X509Ptr> MakeSelfSignedCertificate(EVP_PKEY* pkey) {
  X509Ptr cert(X509_new());
  if (!cert) return OpenSslError("X509_new");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return OpenSslError("X509_set_version");
  }

  // A positive 128-bit serial (RFC 5280 4.1.2.2): clear the top bit so the
  // DER INTEGER needs no sign octet, and never zero.
  uint8_t serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1) return OpenSslError("RAND_bytes");
  serial[0] &= 0x7f;
  serial[sizeof(serial) - 1] |= 0x01;
  BnPtr bn(BN_bin2bn(serial, sizeof(serial), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return OpenSslError("setting the serial number");
  }

  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_ASC,
          reinterpret_cast<const unsigned char*>(kSubjectCommonName), -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1) {
    return OpenSslError("setting the certificate name");
  }
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), kValidityDays, 0, nullptr) ==
          nullptr) {
    return OpenSslError("setting the validity period");
  }
  if (X509_set_pubkey(cert.get(), pkey) != 1) return OpenSslError("X509_set_pubkey");

  LIAISON_RETURN_IF_ERROR(
      AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  LIAISON_RETURN_IF_ERROR(
      AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature"));
  LIAISON_RETURN_IF_ERROR(AddExtension(cert.get(), NID_subject_key_identifier, "hash"));

  // Ed25519 signs the message itself: no separate digest.
  if (X509_sign(cert.get(), pkey, nullptr) <= 0) return OpenSslError("X509_sign");
  return cert;
}

// MemBioContents views what was written to a memory BIO; valid while the BIO
// lives.
ByteSpan MemBioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return ByteSpan();
  return ByteSpan(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(len));
}

bool FileExists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

absl::StatusOr<std::string> GenerateIdentity(const std::string& dir) {
  LIAISON_RETURN_IF_ERROR(MakeDirs(dir));
  const std::string key_path = JoinPath(dir, kIdentityKeyFile);
  const std::string cert_path = JoinPath(dir, kIdentityCertFile);
  for (const std::string& path : {key_path, cert_path}) {
    if (FileExists(path)) {
      return absl::AlreadyExistsError(
          StrCat(path, " already exists; refusing to overwrite an identity"));
    }
  }

  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!pkey) return OpenSslError("Ed25519 key generation");
  LIAISON_ASSIGN_OR_RETURN(X509Ptr cert, MakeSelfSignedCertificate(pkey.get()));

  // The PEM key goes through secure-heap memory that OpenSSL wipes on free.
  BioPtr key_pem(BIO_new(BIO_s_secmem()));
  if (!key_pem || PEM_write_bio_PKCS8PrivateKey(key_pem.get(), pkey.get(), nullptr,
                                                nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("encoding the private key");
  }
  BioPtr cert_pem(BIO_new(BIO_s_mem()));
  if (!cert_pem || PEM_write_bio_X509(cert_pem.get(), cert.get()) != 1) {
    return OpenSslError("encoding the certificate");
  }

  LIAISON_ASSIGN_OR_RETURN(std::string suffix, RandomSuffix());
  const std::string key_tmp = JoinPath(dir, StrCat(".", kIdentityKeyFile, ".tmp-", suffix));
  const std::string cert_tmp = JoinPath(dir, StrCat(".", kIdentityCertFile, ".tmp-", suffix));
  LIAISON_RETURN_IF_ERROR(WriteTempFile(key_tmp, MemBioContents(key_pem.get()), 0600));
  absl::Status status = WriteTempFile(cert_tmp, MemBioContents(cert_pem.get()), 0644);
  if (status.ok()) status = LinkNew(key_tmp, key_path);
  if (status.ok()) {
    status = LinkNew(cert_tmp, cert_path);
    // Never leave a key without its certificate.
    if (!status.ok()) unlink(key_path.c_str());
  }
  unlink(key_tmp.c_str());
  unlink(cert_tmp.c_str());
  if (!status.ok()) return status;

  // Make the new names durable.
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return CertificateFingerprint(cert.get());
}

std::string CertificateFingerprint(const X509* cert) {
  const X509_PUBKEY* spki = X509_get_X509_PUBKEY(cert);
  unsigned char* der = nullptr;
  int len = spki == nullptr ? -1 : i2d_X509_PUBKEY(spki, &der);
  if (len <= 0) {
    ERR_clear_error();
    return "";
  }
  std::string fp = FingerprintOfSpki(der, static_cast<size_t>(len));
  OPENSSL_free(der);
  return fp;
}

absl::StatusOr<std::string> CertificateFingerprint(const std::string& cert_path) {
  LIAISON_ASSIGN_OR_RETURN(SecretBytes pem, ReadSmallFile(cert_path, nullptr));
  LIAISON_ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(pem, cert_path));
  std::string fp = CertificateFingerprint(cert.get());
  if (fp.empty()) {
    return absl::InvalidArgumentError(
        StrCat(cert_path, " holds a certificate without a usable public key"));
  }
  return fp;
}

absl::StatusOr<Ed25519PublicKey> CertificatePublicKey(const std::string& cert_path) {
  LIAISON_ASSIGN_OR_RETURN(SecretBytes pem, ReadSmallFile(cert_path, nullptr));
  LIAISON_ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(pem, cert_path));
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  Ed25519PublicKey out{};
  size_t len = out.size();
  if (key == nullptr || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519 ||
      EVP_PKEY_get_raw_public_key(key, out.data(), &len) != 1 || len != out.size()) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        StrCat(cert_path, " does not hold a certificate for an Ed25519 key"));
  }
  return out;
}

absl::StatusOr<std::string> PublicKeyFingerprint(ByteSpan public_key) {
  if (public_key.size() != kEd25519PublicKeyLen) {
    return absl::InvalidArgumentError(
        StrCat("an Ed25519 public key is 32 bytes, not ", public_key.size()));
  }
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                           public_key.data(), public_key.size()));
  if (!pkey) return OpenSslError("EVP_PKEY_new_raw_public_key");
  std::string fp = PkeyFingerprint(pkey.get());
  if (fp.empty()) return OpenSslError("encoding the public key");
  return fp;
}

absl::StatusOr<std::string> NormalizeFingerprint(std::string_view fingerprint) {
  constexpr std::string_view kSpace = " \t\r\n";
  size_t first = fingerprint.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return absl::InvalidArgumentError("the fingerprint is empty");
  }
  std::string_view s = fingerprint.substr(first);
  s = s.substr(0, s.find_last_not_of(kSpace) + 1);

  const std::string_view prefix = kFingerprintPrefix;
  if (s.size() >= prefix.size()) {
    bool has_prefix = true;
    for (size_t i = 0; i < prefix.size(); ++i) {
      if (ToLowerAscii(s[i]) != prefix[i]) has_prefix = false;
    }
    if (has_prefix) s.remove_prefix(prefix.size());
  }
  std::string hex;
  hex.reserve(64);
  for (char c : s) {
    if (c == ':') continue;
    if (!IsHexDigit(c)) {
      return absl::InvalidArgumentError(
          "a fingerprint is \"sha256:\" followed by 64 hex digits (':' "
          "separators allowed); found a character that is not a hex digit");
    }
    hex.push_back(ToLowerAscii(c));
  }
  if (hex.size() != 64) {
    return absl::InvalidArgumentError(
        StrCat("a fingerprint is \"sha256:\" followed by 64 hex digits; found ",
               hex.size(), " digits"));
  }
  return StrCat(kFingerprintPrefix, hex);
}

Identity::Identity(EVP_PKEY* pkey, X509* cert) : pkey_(pkey), cert_(cert) {
  size_t len = public_key_.size();
  if (EVP_PKEY_get_raw_public_key(pkey_, public_key_.data(), &len) != 1) {
    ERR_clear_error();  // Load checked the key type; cannot happen.
  }
  fingerprint_ = CertificateFingerprint(cert_);
}

Identity::Identity(Identity&& other) noexcept
    : pkey_(std::exchange(other.pkey_, nullptr)),
      cert_(std::exchange(other.cert_, nullptr)),
      public_key_(other.public_key_),
      fingerprint_(std::move(other.fingerprint_)) {}

Identity& Identity::operator=(Identity&& other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(pkey_);
    X509_free(cert_);
    pkey_ = std::exchange(other.pkey_, nullptr);
    cert_ = std::exchange(other.cert_, nullptr);
    public_key_ = other.public_key_;
    fingerprint_ = std::move(other.fingerprint_);
  }
  return *this;
}

Identity::~Identity() {
  // EVP_PKEY_free wipes the Ed25519 private key.
  EVP_PKEY_free(pkey_);
  X509_free(cert_);
}

absl::StatusOr<Identity> Identity::Load(const std::string& dir) {
  const std::string key_path = JoinPath(dir, kIdentityKeyFile);
  const std::string cert_path = JoinPath(dir, kIdentityCertFile);

  struct stat st;
  LIAISON_ASSIGN_OR_RETURN(SecretBytes key_pem, ReadSmallFile(key_path, &st));
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return absl::PermissionDeniedError(
        StrCat(key_path, " is accessible by group or others (mode ", mode,
               "); the private key must be private: run chmod 600 ", key_path));
  }
  if (AsStringView(key_pem.span()).find("ENCRYPTED") != std::string_view::npos) {
    return absl::InvalidArgumentError(
        StrCat(key_path, " is encrypted; liaison uses an unencrypted key "
                         "protected by its file mode"));
  }
  BioPtr bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  if (!bio) return OpenSslError("BIO_new_mem_buf");
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, RefusePassphrase, nullptr));
  if (!pkey) {
    ERR_clear_error();
    return absl::InvalidArgumentError(StrCat(key_path, " does not hold a PEM private key"));
  }
  if (EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError(StrCat(key_path, " is not an Ed25519 key"));
  }

  LIAISON_ASSIGN_OR_RETURN(SecretBytes cert_pem, ReadSmallFile(cert_path, nullptr));
  LIAISON_ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(cert_pem, cert_path));
  EVP_PKEY* cert_key = X509_get0_pubkey(cert.get());
  if (cert_key == nullptr || EVP_PKEY_eq(cert_key, pkey.get()) != 1) {
    ERR_clear_error();
    return absl::FailedPreconditionError(
        StrCat(cert_path, " is not the certificate of the key in ", key_path));
  }
  return Identity(pkey.release(), cert.release());
}

absl::StatusOr<Ed25519Signature> Identity::Sign(ByteSpan message) const {
  static const uint8_t kEmpty = 0;
  const uint8_t* data = message.empty() ? &kEmpty : message.data();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_) != 1) {
    return OpenSslError("EVP_DigestSignInit");
  }
  Ed25519Signature sig;
  size_t sig_len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &sig_len, data, message.size()) != 1 ||
      sig_len != sig.size()) {
    return OpenSslError("Ed25519 signing");
  }
  return sig;
}

absl::Status Identity::Verify(ByteSpan public_key, ByteSpan message,
                              ByteSpan signature) {
  if (public_key.size() != kEd25519PublicKeyLen) {
    return absl::InvalidArgumentError(
        StrCat("an Ed25519 public key is 32 bytes, not ", public_key.size()));
  }
  if (signature.size() != kEd25519SignatureLen) {
    return absl::DataLossError(
        StrCat("an Ed25519 signature is 64 bytes, not ", signature.size()));
  }
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                           public_key.data(), public_key.size()));
  if (!pkey) {
    ERR_clear_error();
    return absl::InvalidArgumentError("not a valid Ed25519 public key");
  }
  static const uint8_t kEmpty = 0;
  const uint8_t* data = message.empty() ? &kEmpty : message.data();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    return OpenSslError("EVP_DigestVerifyInit");
  }
  int ok = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data,
                            message.size());
  ERR_clear_error();
  if (ok != 1) return absl::DataLossError("the Ed25519 signature does not verify");
  return absl::OkStatus();
}

}  // namespace liaison::net
