#include "base/bytes.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace liaison {
namespace {

TEST(HexTest, RoundTrips) {
  Bytes b = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(ToHex(b), "0001abff");
  auto back = FromHex("0001ABff");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, b);
}

TEST(HexTest, OddLengthIsInvalidArgument) {
  EXPECT_EQ(FromHex("abc").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HexTest, NonHexCharacterIsInvalidArgument) {
  auto r = FromHex("0g");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), testing::HasSubstr("offset 1"));
}

TEST(ByteReaderTest, ReadsWhatWriterWrote) {
  ByteWriter w;
  w.U8(7);
  w.U16(0xbeef);
  w.U32(0xdeadbeef);
  w.U64(0x0102030405060708ull);
  w.String("hello");
  Bytes msg = w.Take();
  ByteReader r(msg);
  EXPECT_EQ(*r.U8("a"), 7);
  EXPECT_EQ(*r.U16("b"), 0xbeef);
  EXPECT_EQ(*r.U32("c"), 0xdeadbeefu);
  EXPECT_EQ(*r.U64("d"), 0x0102030405060708ull);
  EXPECT_EQ(*r.String("e"), "hello");
  EXPECT_TRUE(r.ExpectEnd("message").ok());
}

TEST(ByteReaderTest, TruncatedMessageIsDataLossNamingTheField) {
  ByteWriter w;
  w.U16(1);
  Bytes msg = w.Take();
  ByteReader r(msg);
  auto v = r.U32("set size");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(v.status().message(), testing::HasSubstr("set size"));
}

TEST(ByteReaderTest, OverlongStringIsDataLoss) {
  ByteWriter w;
  w.String(std::string(100, 'x'));
  Bytes msg = w.Take();
  ByteReader r(msg);
  EXPECT_EQ(r.String("name", 10).status().code(), absl::StatusCode::kDataLoss);
}

TEST(ByteReaderTest, StringLengthBeyondDataIsDataLoss) {
  ByteWriter w;
  w.U32(1000);
  w.Raw(AsBytes("abc"));
  Bytes msg = w.Take();
  ByteReader r(msg);
  EXPECT_EQ(r.String("name").status().code(), absl::StatusCode::kDataLoss);
}

TEST(ByteReaderTest, TrailingBytesAreDataLoss) {
  Bytes msg = {1, 2};
  ByteReader r(msg);
  ASSERT_TRUE(r.U8("x").ok());
  EXPECT_EQ(r.ExpectEnd("message").code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace liaison
