// The receiver's side of docs/webhooks.md, written against OpenSSL directly
// rather than through node/webhook.h, so that tests check the documented
// scheme independently of the code that signs.
#ifndef LIAISON_TESTS_NODE_TESTING_WEBHOOK_RECEIVER_H_
#define LIAISON_TESTS_NODE_TESTING_WEBHOOK_RECEIVER_H_

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

namespace liaison::node::testing {

// ReceiverSignature returns HMAC-SHA256(`secret`, t + "." + body) as lower-case
// hex: what v1 of a Liaison-Signature header must be.
inline std::string ReceiverSignature(const std::string& secret, const std::string& t,
                                     const std::string& body) {
  const std::string message = t + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_len);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < mac_len; ++i) {
    hex += kHex[mac[i] >> 4];
    hex += kHex[mac[i] & 15];
  }
  return hex;
}

// ReceiverAccepts checks a Liaison-Signature header ("t=<s>,v1=<hex>") for
// `body` as a receiver must: recompute and compare in constant time. It does
// not check the timestamp's age.
inline bool ReceiverAccepts(const std::string& secret, const std::string& header,
                            const std::string& body) {
  std::string t, v1;
  size_t start = 0;
  for (;;) {
    const size_t comma = header.find(',', start);
    const std::string part =
        header.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (part.rfind("t=", 0) == 0) t = part.substr(2);
    if (part.rfind("v1=", 0) == 0) v1 = part.substr(3);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (t.empty() || v1.size() != 64) return false;
  const std::string expected = ReceiverSignature(secret, t, body);
  return expected.size() == v1.size() &&
         CRYPTO_memcmp(expected.data(), v1.data(), v1.size()) == 0;
}

}  // namespace liaison::node::testing

#endif  // LIAISON_TESTS_NODE_TESTING_WEBHOOK_RECEIVER_H_
