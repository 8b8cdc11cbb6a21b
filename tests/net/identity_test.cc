#include "net/identity.h"

#include <dirent.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/temp_dir.h"

namespace liaison::net {
namespace {

using ::liaison::testing::ScopedTempDir;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::set<std::string> ListDir(const std::string& dir) {
  std::set<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.insert(n);
  }
  closedir(d);
  return names;
}

X509* ReadCert(const std::string& path) {
  FILE* f = fopen(path.c_str(), "r");
  if (f == nullptr) return nullptr;
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  fclose(f);
  return cert;
}

TEST(IdentityTest, GenerateWritesPrivateKeyAndCertificate) {
  ScopedTempDir tmp;
  const std::string dir = tmp.Sub("a/b/node");
  auto fp = GenerateIdentity(dir);
  ASSERT_TRUE(fp.ok()) << fp.status();
  EXPECT_EQ(ModeOf(tmp.Sub("a")), 0700u);
  EXPECT_EQ(ModeOf(dir), 0700u);
  EXPECT_EQ(ModeOf(dir + "/node.key"), 0600u);
  EXPECT_EQ(ModeOf(dir + "/node.crt"), 0644u);
  // No temporary files are left behind.
  EXPECT_EQ(ListDir(dir), (std::set<std::string>{"node.key", "node.crt"}));

  std::ifstream key(dir + "/node.key");
  std::string first_line;
  std::getline(key, first_line);
  EXPECT_EQ(first_line, "-----BEGIN PRIVATE KEY-----");  // PKCS#8, unencrypted.
}

TEST(IdentityTest, KeyIsNeverCreatedWiderThan0600WhateverTheUmask) {
  ScopedTempDir tmp;
  mode_t old = umask(0);
  auto fp = GenerateIdentity(tmp.Sub("node"));
  umask(old);
  ASSERT_TRUE(fp.ok()) << fp.status();
  EXPECT_EQ(ModeOf(tmp.Sub("node/node.key")), 0600u);
  EXPECT_EQ(ModeOf(tmp.Sub("node")), 0700u);
}

TEST(IdentityTest, CertificateHasTheDocumentedShape) {
  ScopedTempDir tmp;
  ASSERT_TRUE(GenerateIdentity(tmp.path()).ok());
  X509* cert = ReadCert(tmp.Sub("node.crt"));
  ASSERT_NE(cert, nullptr);

  EXPECT_EQ(X509_get_version(cert), X509_VERSION_3);
  EXPECT_EQ(EVP_PKEY_get_id(X509_get0_pubkey(cert)), EVP_PKEY_ED25519);
  // Self-signed, and the signature verifies.
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)), 0);
  EXPECT_EQ(X509_verify(cert, X509_get0_pubkey(cert)), 1);

  char cn[64] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
  EXPECT_STREQ(cn, "liaison node");

  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  ASSERT_NE(serial, nullptr);
  EXPECT_FALSE(BN_is_negative(serial));
  EXPECT_GT(BN_num_bits(serial), 64);   // Random 128-bit: far above 64 bits...
  EXPECT_LE(BN_num_bits(serial), 127);  // ...and positive without a sign octet.
  BN_free(serial);

  int days = 0, secs = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert),
                           X509_get0_notAfter(cert)), 1);
  EXPECT_GE(days, 3650);
  EXPECT_LE(days, 3653);

  // basicConstraints CA:FALSE and keyUsage digitalSignature, both critical.
  int crit = -1;
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert, NID_basic_constraints, &crit, nullptr));
  ASSERT_NE(bc, nullptr);
  EXPECT_FALSE(bc->ca);
  EXPECT_EQ(crit, 1);
  BASIC_CONSTRAINTS_free(bc);
  EXPECT_EQ(X509_get_key_usage(cert), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extension_flags(cert) & EXFLAG_CA, 0u);
  X509_free(cert);
}

TEST(IdentityTest, TwoIdentitiesHaveDifferentSerialsAndFingerprints) {
  ScopedTempDir tmp;
  auto a = GenerateIdentity(tmp.Sub("a"));
  auto b = GenerateIdentity(tmp.Sub("b"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  X509* ca = ReadCert(tmp.Sub("a/node.crt"));
  X509* cb = ReadCert(tmp.Sub("b/node.crt"));
  ASSERT_TRUE(ca != nullptr && cb != nullptr);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(ca), X509_get0_serialNumber(cb)), 0);
  X509_free(ca);
  X509_free(cb);
}

TEST(IdentityTest, GenerateRefusesToOverwrite) {
  ScopedTempDir tmp;
  auto first = GenerateIdentity(tmp.path());
  ASSERT_TRUE(first.ok());
  auto second = GenerateIdentity(tmp.path());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  // The first identity is untouched.
  auto loaded = Identity::Load(tmp.path());
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->fingerprint(), *first);
}

TEST(IdentityTest, GenerateRefusesWhenOnlyTheKeyExists) {
  ScopedTempDir tmp;
  std::ofstream(tmp.Sub("node.key")) << "something";
  EXPECT_EQ(GenerateIdentity(tmp.path()).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ListDir(tmp.path()), (std::set<std::string>{"node.key"}));
}

TEST(IdentityTest, FingerprintIsStableAcrossLoadAndMatchesTheCertificate) {
  ScopedTempDir tmp;
  auto fp = GenerateIdentity(tmp.path());
  ASSERT_TRUE(fp.ok());
  // gmock's MatchesRegex (POSIX regcomp), not std::regex: GCC 12 warns
  // maybe-uninitialized inside <regex> under -fsanitize=address.
  EXPECT_THAT(*fp, MatchesRegex("sha256:[0-9a-f]{64}"));
  auto id = Identity::Load(tmp.path());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->fingerprint(), *fp);
  auto again = Identity::Load(tmp.path());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->fingerprint(), *fp);
  auto from_cert = CertificateFingerprint(tmp.Sub("node.crt"));
  ASSERT_TRUE(from_cert.ok());
  EXPECT_EQ(*from_cert, *fp);
  auto from_key = PublicKeyFingerprint(id->public_key());
  ASSERT_TRUE(from_key.ok());
  EXPECT_EQ(*from_key, *fp);
}

TEST(IdentityTest, CertificatePublicKeyIsTheIdentitysKey) {
  ScopedTempDir tmp;
  ASSERT_TRUE(GenerateIdentity(tmp.path()).ok());
  auto id = Identity::Load(tmp.path());
  ASSERT_TRUE(id.ok()) << id.status();
  auto key = CertificatePublicKey(tmp.Sub("node.crt"));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, id->public_key());
  EXPECT_EQ(CertificatePublicKey(tmp.Sub("missing.crt")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(CertificatePublicKey(tmp.Sub("node.key")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(IdentityTest, FingerprintIsSha256OfTheSubjectPublicKeyInfo) {
  // RFC 8410 section 10.1 example key: SPKI = 302a300506032b6570032100 || key.
  Bytes key = *FromHex("19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1");
  Bytes spki = *FromHex("302a300506032b6570032100");
  spki.insert(spki.end(), key.begin(), key.end());
  unsigned char md[32];
  unsigned int md_len = 0;
  ASSERT_EQ(EVP_Digest(spki.data(), spki.size(), md, &md_len, EVP_sha256(), nullptr), 1);
  auto fp = PublicKeyFingerprint(key);
  ASSERT_TRUE(fp.ok()) << fp.status();
  EXPECT_EQ(*fp, "sha256:" + ToHex(ByteSpan(md, md_len)));
  EXPECT_EQ(PublicKeyFingerprint(Bytes(31)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(IdentityTest, ReissuedCertificateForTheSameKeyKeepsTheFingerprint) {
  ScopedTempDir tmp;
  auto fp = GenerateIdentity(tmp.path());
  ASSERT_TRUE(fp.ok());
  auto id = Identity::Load(tmp.path());
  ASSERT_TRUE(id.ok());

  // A different certificate (other name, serial, dates) for the same key.
  X509* cert = X509_new();
  X509_set_version(cert, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 42);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("renewed"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, id->private_key());
  ASSERT_GT(X509_sign(cert, id->private_key(), nullptr), 0);
  EXPECT_NE(X509_cmp(cert, id->certificate()), 0);
  EXPECT_EQ(CertificateFingerprint(cert), *fp);

  const std::string path = tmp.Sub("renewed.crt");
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  PEM_write_X509(f, cert);
  fclose(f);
  X509_free(cert);
  auto from_file = CertificateFingerprint(path);
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(*from_file, *fp);
}

TEST(IdentityTest, CertificateFingerprintErrors) {
  ScopedTempDir tmp;
  EXPECT_EQ(CertificateFingerprint(tmp.Sub("missing.crt")).status().code(),
            absl::StatusCode::kNotFound);
  std::ofstream(tmp.Sub("junk.crt")) << "not a certificate\n";
  EXPECT_EQ(CertificateFingerprint(tmp.Sub("junk.crt")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(IdentityTest, LoadRefusesAKeyReadableByOthers) {
  ScopedTempDir tmp;
  ASSERT_TRUE(GenerateIdentity(tmp.path()).ok());
  for (mode_t mode : {0640, 0604, 0660, 0644}) {
    SCOPED_TRACE(mode);
    ASSERT_EQ(chmod(tmp.Sub("node.key").c_str(), mode), 0);
    auto id = Identity::Load(tmp.path());
    EXPECT_EQ(id.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_THAT(std::string(id.status().message()), HasSubstr("chmod 600"));
  }
  ASSERT_EQ(chmod(tmp.Sub("node.key").c_str(), 0400), 0);
  EXPECT_TRUE(Identity::Load(tmp.path()).ok());
}

TEST(IdentityTest, LoadMissingIdentityIsNotFound) {
  ScopedTempDir tmp;
  EXPECT_EQ(Identity::Load(tmp.path()).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(GenerateIdentity(tmp.Sub("x")).ok());
  ASSERT_EQ(unlink(tmp.Sub("x/node.crt").c_str()), 0);
  EXPECT_EQ(Identity::Load(tmp.Sub("x")).status().code(), absl::StatusCode::kNotFound);
}

TEST(IdentityTest, LoadRefusesACertificateForAnotherKey) {
  ScopedTempDir tmp;
  ASSERT_TRUE(GenerateIdentity(tmp.Sub("a")).ok());
  ASSERT_TRUE(GenerateIdentity(tmp.Sub("b")).ok());
  ASSERT_EQ(rename(tmp.Sub("b/node.crt").c_str(), tmp.Sub("a/node.crt").c_str()), 0);
  EXPECT_EQ(Identity::Load(tmp.Sub("a")).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(IdentityTest, LoadRefusesGarbageAndForeignKeys) {
  ScopedTempDir tmp;
  ASSERT_TRUE(GenerateIdentity(tmp.path()).ok());
  const std::string key = tmp.Sub("node.key");
  {
    std::ofstream(key, std::ios::trunc) << "garbage\n";
  }
  EXPECT_EQ(Identity::Load(tmp.path()).status().code(), absl::StatusCode::kInvalidArgument);

  // An X25519 key is not an identity key.
  EVP_PKEY* x = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
  ASSERT_NE(x, nullptr);
  FILE* f = fopen(key.c_str(), "w");
  ASSERT_NE(f, nullptr);
  PEM_write_PrivateKey(f, x, nullptr, nullptr, 0, nullptr, nullptr);
  fclose(f);
  EVP_PKEY_free(x);
  auto id = Identity::Load(tmp.path());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("Ed25519"));
}

TEST(IdentityTest, LoadRefusesAnEncryptedKeyWithoutPrompting) {
  ScopedTempDir tmp;
  ASSERT_TRUE(GenerateIdentity(tmp.path()).ok());
  auto id = Identity::Load(tmp.path());
  ASSERT_TRUE(id.ok());
  FILE* f = fopen(tmp.Sub("node.key").c_str(), "w");
  ASSERT_NE(f, nullptr);
  static char kPass[] = "passphrase";
  PEM_write_PKCS8PrivateKey(f, id->private_key(), EVP_aes_256_cbc(), kPass,
                            sizeof(kPass) - 1, nullptr, nullptr);
  fclose(f);
  auto encrypted = Identity::Load(tmp.path());
  EXPECT_EQ(encrypted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(encrypted.status().message()), HasSubstr("encrypted"));
}

TEST(IdentityTest, IdentityMovesKeepTheKey) {
  ScopedTempDir tmp;
  auto fp = GenerateIdentity(tmp.path());
  ASSERT_TRUE(fp.ok());
  auto id = Identity::Load(tmp.path());
  ASSERT_TRUE(id.ok());
  Identity moved = std::move(*id);
  EXPECT_EQ(moved.fingerprint(), *fp);
  EXPECT_NE(moved.private_key(), nullptr);
  Identity assigned = *Identity::Load(tmp.path());
  assigned = std::move(moved);
  EXPECT_EQ(assigned.fingerprint(), *fp);
}

TEST(IdentityTest, SignAndVerify) {
  ScopedTempDir tmp;
  ASSERT_TRUE(GenerateIdentity(tmp.Sub("a")).ok());
  ASSERT_TRUE(GenerateIdentity(tmp.Sub("b")).ok());
  auto a = Identity::Load(tmp.Sub("a"));
  auto b = Identity::Load(tmp.Sub("b"));
  ASSERT_TRUE(a.ok() && b.ok());

  const Bytes message = {'r', 'e', 'c', 'e', 'i', 'p', 't'};
  auto sig = a->Sign(message);
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_TRUE(Identity::Verify(a->public_key(), message, *sig).ok());

  Bytes tampered = message;
  tampered[0] ^= 1;
  EXPECT_EQ(Identity::Verify(a->public_key(), tampered, *sig).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(Identity::Verify(b->public_key(), message, *sig).code(),
            absl::StatusCode::kDataLoss);
  Ed25519Signature bad = *sig;
  bad[10] ^= 0x80;
  EXPECT_EQ(Identity::Verify(a->public_key(), message, bad).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(Identity::Verify(a->public_key(), message, ByteSpan(sig->data(), 63)).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(Identity::Verify(Bytes(31), message, *sig).code(),
            absl::StatusCode::kInvalidArgument);

  // The empty message can be signed too.
  auto empty_sig = a->Sign(ByteSpan());
  ASSERT_TRUE(empty_sig.ok());
  EXPECT_TRUE(Identity::Verify(a->public_key(), ByteSpan(), *empty_sig).ok());
}

TEST(IdentityTest, SignatureIsStandardEd25519) {
  // RFC 8032 section 7.1, test 2: a signature made elsewhere verifies.
  Bytes pub = *FromHex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  Bytes msg = *FromHex("72");
  Bytes sig = *FromHex(
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
      "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
  EXPECT_TRUE(Identity::Verify(pub, msg, sig).ok());
}

TEST(NormalizeFingerprintTest, AcceptsTheFormsPeopleWrite) {
  const std::string hex = "ab12cd34ef567890ab12cd34ef567890ab12cd34ef567890ab12cd34ef567890";
  const std::string canonical = "sha256:" + hex;
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(toupper(c));
  std::string colons;
  for (size_t i = 0; i < hex.size(); i += 2) {
    if (i > 0) colons += ':';
    colons += hex.substr(i, 2);
  }
  for (const std::string& in :
       {canonical, hex, upper, "SHA256:" + upper, "sha256:" + colons, colons,
        "  " + canonical + "\n", "Sha256:" + hex}) {
    auto out = NormalizeFingerprint(in);
    ASSERT_TRUE(out.ok()) << in << ": " << out.status();
    EXPECT_EQ(*out, canonical) << in;
  }
}

TEST(NormalizeFingerprintTest, RejectsEverythingElse) {
  const std::string hex = "ab12cd34ef567890ab12cd34ef567890ab12cd34ef567890ab12cd34ef567890";
  for (const std::string& in :
       {std::string(), std::string("   "), hex.substr(2), hex + "00", "sha1:" + hex,
        "md5:" + hex, "sha256:" + hex.substr(1) + "g", "sha256-" + hex,
        "sha256:" + hex + "\n" + hex, hex.substr(0, 30) + " " + hex.substr(30, 34)}) {
    EXPECT_EQ(NormalizeFingerprint(in).status().code(), absl::StatusCode::kInvalidArgument)
        << in;
  }
}

}  // namespace
}  // namespace liaison::net
