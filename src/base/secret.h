// Types that hold secrets: key material, blinding scalars, correlations and
// shares. They wipe their memory on destruction and on reassignment, cannot be
// copied implicitly, printed, or compared with ==. Compare them with
// ConstantTimeEqual.
#ifndef LIAISON_BASE_SECRET_H_
#define LIAISON_BASE_SECRET_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/types/span.h"

namespace liaison {

// SecureWipe overwrites `len` bytes at `p` in a way the compiler cannot elide.
void SecureWipe(void* p, size_t len);

// ConstantTimeEqual compares two byte strings in time that depends only on
// their lengths.
bool ConstantTimeEqual(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b);

// SecretArray is a fixed-size secret, wiped on destruction. Copies must be
// made explicitly with Clone().
template <size_t N>
class SecretArray {
 public:
  SecretArray() { data_.fill(0); }
  ~SecretArray() { SecureWipe(data_.data(), N); }
  SecretArray(SecretArray&& other) noexcept : data_(other.data_) {
    SecureWipe(other.data_.data(), N);
  }
  SecretArray& operator=(SecretArray&& other) noexcept {
    if (this != &other) {
      data_ = other.data_;
      SecureWipe(other.data_.data(), N);
    }
    return *this;
  }
  SecretArray(const SecretArray&) = delete;
  SecretArray& operator=(const SecretArray&) = delete;
  bool operator==(const SecretArray&) const = delete;

  SecretArray Clone() const {
    SecretArray out;
    out.data_ = data_;
    return out;
  }

  static constexpr size_t size() { return N; }
  uint8_t* data() { return data_.data(); }
  const uint8_t* data() const { return data_.data(); }
  absl::Span<uint8_t> span() { return absl::MakeSpan(data_); }
  absl::Span<const uint8_t> span() const { return absl::MakeConstSpan(data_); }

 private:
  std::array<uint8_t, N> data_;
};

// SecretBytes is a variable-length secret, wiped on destruction and before
// any reallocation.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t len) : data_(len, 0) {}
  explicit SecretBytes(absl::Span<const uint8_t> b) : data_(b.begin(), b.end()) {}
  ~SecretBytes() { Wipe(); }
  SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) {
    other.data_.clear();
  }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      Wipe();
      data_ = std::move(other.data_);
      other.data_.clear();
    }
    return *this;
  }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  bool operator==(const SecretBytes&) const = delete;

  SecretBytes Clone() const { return SecretBytes(span()); }

  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  uint8_t* data() { return data_.data(); }
  const uint8_t* data() const { return data_.data(); }
  absl::Span<uint8_t> span() { return absl::MakeSpan(data_); }
  absl::Span<const uint8_t> span() const { return absl::MakeConstSpan(data_); }

 private:
  void Wipe() {
    if (!data_.empty()) SecureWipe(data_.data(), data_.size());
  }
  std::vector<uint8_t> data_;
};

// SecretVector is a secret array of trivially copyable elements (OT
// correlations, shares), zero-initialised, wiped on destruction, on
// reassignment and by Clear. Move-only; copies are explicit (Clone).
template <typename T>
class SecretVector {
 public:
  SecretVector() = default;
  // SecretVector makes `n` value-initialised (zero) elements.
  explicit SecretVector(size_t n) : data_(n) {}
  ~SecretVector() { Wipe(); }
  SecretVector(SecretVector&& other) noexcept : data_(std::move(other.data_)) {
    other.data_.clear();
  }
  SecretVector& operator=(SecretVector&& other) noexcept {
    if (this != &other) {
      Wipe();
      data_ = std::move(other.data_);
      other.data_.clear();
    }
    return *this;
  }
  SecretVector(const SecretVector&) = delete;
  SecretVector& operator=(const SecretVector&) = delete;
  bool operator==(const SecretVector&) const = delete;

  SecretVector Clone() const {
    SecretVector out(size());
    for (size_t i = 0; i < size(); ++i) out.data_[i] = data_[i];
    return out;
  }

  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  absl::Span<T> span() { return absl::MakeSpan(data_); }
  absl::Span<const T> span() const { return absl::MakeConstSpan(data_); }

  // Clear wipes the contents and leaves the array empty.
  void Clear() {
    Wipe();
    data_.clear();
    data_.shrink_to_fit();
  }

 private:
  void Wipe() {
    if (!data_.empty()) SecureWipe(data_.data(), data_.size() * sizeof(T));
  }
  std::vector<T> data_;
};

}  // namespace liaison

#endif  // LIAISON_BASE_SECRET_H_
