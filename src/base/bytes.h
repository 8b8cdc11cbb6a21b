// Byte strings and bounds-checked (de)serialisation of protocol messages.
#ifndef LIAISON_BASE_BYTES_H_
#define LIAISON_BASE_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace liaison {

using Bytes = std::vector<uint8_t>;
using ByteSpan = absl::Span<const uint8_t>;
using MutableByteSpan = absl::Span<uint8_t>;

// AsBytes views the characters of `s` as bytes; `s` must outlive the span.
inline ByteSpan AsBytes(std::string_view s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// AsStringView views `b` as characters; `b` must outlive the view.
inline std::string_view AsStringView(ByteSpan b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

// ToHex returns the lower-case hexadecimal form of `b`.
std::string ToHex(ByteSpan b);

// HexValue returns the value of a hex digit (either case), or -1 for any
// other character. Not for secrets: it branches on the character.
int HexValue(char c);

// FromHex parses hexadecimal (either case, no separators). It returns
// InvalidArgument on an odd length or a non-hex character.
absl::StatusOr<Bytes> FromHex(std::string_view hex);

// ByteWriter appends fixed-width little-endian integers and length-prefixed
// fields to a growing buffer. It is the only way protocol messages are built,
// so every message has the same, documented encoding.
class ByteWriter {
 public:
  ByteWriter() = default;
  explicit ByteWriter(size_t reserve) { buf_.reserve(reserve); }

  void U8(uint8_t v) { buf_.push_back(v); }
  void U16(uint16_t v) { Fixed(v, 2); }
  void U32(uint32_t v) { Fixed(v, 4); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void Raw(ByteSpan b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  // String writes a u32 length, then the bytes.
  void String(std::string_view s);

  size_t size() const { return buf_.size(); }
  const Bytes& bytes() const { return buf_; }
  Bytes Take() { return std::move(buf_); }

 private:
  void Fixed(uint64_t v, int width);
  Bytes buf_;
};

// ByteReader reads what ByteWriter wrote. Every read is bounds-checked and
// fails with DataLoss naming `what`, so a truncated or garbled peer message
// never reads out of bounds. The span must outlive the reader.
class ByteReader {
 public:
  explicit ByteReader(ByteSpan data) : data_(data) {}

  absl::StatusOr<uint8_t> U8(std::string_view what);
  absl::StatusOr<uint16_t> U16(std::string_view what);
  absl::StatusOr<uint32_t> U32(std::string_view what);
  absl::StatusOr<uint64_t> U64(std::string_view what);
  // Raw returns a view of the next `len` bytes.
  absl::StatusOr<ByteSpan> Raw(size_t len, std::string_view what);
  // String reads a u32 length (at most `max_len`) and that many bytes.
  absl::StatusOr<std::string> String(std::string_view what,
                                     size_t max_len = 1 << 16);

  size_t remaining() const { return data_.size() - pos_; }
  // ExpectEnd returns DataLoss if unread bytes remain after `what`.
  absl::Status ExpectEnd(std::string_view what) const;

 private:
  absl::StatusOr<uint64_t> Fixed(int width, std::string_view what);
  ByteSpan data_;
  size_t pos_ = 0;
};

}  // namespace liaison

#endif  // LIAISON_BASE_BYTES_H_
