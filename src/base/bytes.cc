#include "base/bytes.h"

#include "base/strings.h"

namespace liaison {

std::string ToHex(ByteSpan b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(b.size() * 2, '\0');
  for (size_t i = 0; i < b.size(); ++i) {
    out[2 * i] = kDigits[b[i] >> 4];
    out[2 * i + 1] = kDigits[b[i] & 0xf];
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<Bytes> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        StrCat("hex string has odd length ", hex.size()));
  }
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          StrCat("non-hex character at offset ", hi < 0 ? 2 * i : 2 * i + 1));
    }
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

void ByteWriter::Fixed(uint64_t v, int width) {
  for (int i = 0; i < width; ++i) buf_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void ByteWriter::String(std::string_view s) {
  U32(static_cast<uint32_t>(s.size()));
  Raw(AsBytes(s));
}

absl::StatusOr<uint64_t> ByteReader::Fixed(int width, std::string_view what) {
  if (remaining() < static_cast<size_t>(width)) {
    return absl::DataLossError(StrCat("message truncated while reading ", what));
  }
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) v |= uint64_t{data_[pos_ + i]} << (8 * i);
  pos_ += width;
  return v;
}

absl::StatusOr<uint8_t> ByteReader::U8(std::string_view what) {
  auto v = Fixed(1, what);
  if (!v.ok()) return v.status();
  return static_cast<uint8_t>(*v);
}
absl::StatusOr<uint16_t> ByteReader::U16(std::string_view what) {
  auto v = Fixed(2, what);
  if (!v.ok()) return v.status();
  return static_cast<uint16_t>(*v);
}
absl::StatusOr<uint32_t> ByteReader::U32(std::string_view what) {
  auto v = Fixed(4, what);
  if (!v.ok()) return v.status();
  return static_cast<uint32_t>(*v);
}
absl::StatusOr<uint64_t> ByteReader::U64(std::string_view what) { return Fixed(8, what); }

absl::StatusOr<ByteSpan> ByteReader::Raw(size_t len, std::string_view what) {
  if (remaining() < len) {
    return absl::DataLossError(StrCat("message truncated while reading ", what));
  }
  ByteSpan out = data_.subspan(pos_, len);
  pos_ += len;
  return out;
}

absl::StatusOr<std::string> ByteReader::String(std::string_view what, size_t max_len) {
  auto len = U32(what);
  if (!len.ok()) return len.status();
  if (*len > max_len) {
    return absl::DataLossError(
        StrCat(what, " is ", *len, " bytes, more than the limit of ", max_len));
  }
  auto raw = Raw(*len, what);
  if (!raw.ok()) return raw.status();
  return std::string(AsStringView(*raw));
}

absl::Status ByteReader::ExpectEnd(std::string_view what) const {
  if (remaining() != 0) {
    return absl::DataLossError(
        StrCat(remaining(), " unexpected trailing bytes after ", what));
  }
  return absl::OkStatus();
}

}  // namespace liaison
