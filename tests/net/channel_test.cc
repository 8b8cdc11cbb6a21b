// Channel contract, on LocalPair: counters, rounds, close, timeouts, limits.
#include "net/channel.h"

#include <future>
#include <thread>

#include "gtest/gtest.h"

namespace liaison::net {
namespace {

Bytes Msg(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(LocalPairTest, MessagesArriveInOrder) {
  auto [a, b] = LocalPair();
  ASSERT_TRUE(a->Send(Msg("one")).ok());
  ASSERT_TRUE(a->Send(Msg("")).ok());
  ASSERT_TRUE(a->Send(Msg("three")).ok());
  EXPECT_EQ(*b->Recv(), Msg("one"));
  EXPECT_EQ(*b->Recv(), Msg(""));
  EXPECT_EQ(*b->Recv(), Msg("three"));
}

TEST(LocalPairTest, CountersCountFramedBytesAndMessages) {
  auto [a, b] = LocalPair();
  ASSERT_TRUE(a->Send(Bytes(10)).ok());
  ASSERT_TRUE(a->Send(Bytes(0)).ok());
  ASSERT_TRUE(b->Recv().ok());
  ASSERT_TRUE(b->Recv().ok());
  EXPECT_EQ(a->bytes_sent(), 2 * kFrameHeaderLen + 10);
  EXPECT_EQ(a->messages_sent(), 2u);
  EXPECT_EQ(b->bytes_received(), 2 * kFrameHeaderLen + 10);
  EXPECT_EQ(b->messages_received(), 2u);
  EXPECT_EQ(a->bytes_received(), 0u);
  EXPECT_EQ(b->bytes_sent(), 0u);
}

TEST(LocalPairTest, RoundsCountFlightsOfSends) {
  auto [a, b] = LocalPair();
  // a: send send | recv | send | recv recv | send  -> 3 flights.
  // b never receives in between, so its three sends are one flight.
  ASSERT_TRUE(a->Send(Msg("1")).ok());
  ASSERT_TRUE(a->Send(Msg("2")).ok());
  ASSERT_TRUE(b->Send(Msg("x")).ok());
  ASSERT_TRUE(a->Recv().ok());
  ASSERT_TRUE(a->Send(Msg("3")).ok());
  ASSERT_TRUE(b->Send(Msg("y")).ok());
  ASSERT_TRUE(b->Send(Msg("z")).ok());
  ASSERT_TRUE(a->Recv().ok());
  ASSERT_TRUE(a->Recv().ok());
  ASSERT_TRUE(a->Send(Msg("4")).ok());
  EXPECT_EQ(a->rounds(), 3u);
  EXPECT_EQ(b->rounds(), 1u);
  EXPECT_EQ(b->messages_received(), 0u);
}

TEST(LocalPairTest, FailedSendDoesNotCount) {
  auto [a, b] = LocalPair();
  a->set_max_message_len(4);
  EXPECT_EQ(a->Send(Bytes(5)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a->messages_sent(), 0u);
  EXPECT_EQ(a->bytes_sent(), 0u);
  EXPECT_EQ(a->rounds(), 0u);
}

TEST(LocalPairTest, BothSidesMaySendBeforeReceiving) {
  auto [a, b] = LocalPair();
  Bytes big(1 << 20, 7);
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(a->Send(big).ok());
    ASSERT_TRUE(b->Send(big).ok());
  }
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(*a->Recv(), big);
    EXPECT_EQ(*b->Recv(), big);
  }
}

TEST(LocalPairTest, TwoThreadsExchange) {
  auto [a, b] = LocalPair();
  auto peer = std::async(std::launch::async, [&b = b] {
    for (int i = 0; i < 1000; ++i) {
      auto m = b->Recv();
      if (!m.ok()) return m.status();
      absl::Status s = b->Send(*m);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  });
  for (int i = 0; i < 1000; ++i) {
    Bytes m = {static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8)};
    ASSERT_TRUE(a->Send(m).ok());
    auto echo = a->Recv();
    ASSERT_TRUE(echo.ok()) << echo.status();
    EXPECT_EQ(*echo, m);
  }
  EXPECT_TRUE(peer.get().ok());
  EXPECT_EQ(a->rounds(), 1000u);
}

TEST(LocalPairTest, CloseIsUnavailableForPeerAfterDrain) {
  auto [a, b] = LocalPair();
  ASSERT_TRUE(a->Send(Msg("last")).ok());
  a->Close();
  a->Close();  // Idempotent.
  EXPECT_EQ(*b->Recv(), Msg("last"));
  EXPECT_EQ(b->Recv().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(b->Send(Msg("late")).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(a->Send(Msg("after close")).code(), absl::StatusCode::kUnavailable);
}

TEST(LocalPairTest, ClosedEndNoLongerReceives) {
  auto [a, b] = LocalPair();
  ASSERT_TRUE(b->Send(Msg("unread")).ok());
  a->Close();
  EXPECT_EQ(a->Recv().status().code(), absl::StatusCode::kUnavailable);
}

TEST(LocalPairTest, DestroyingAnEndIsUnavailableForThePeer) {
  auto [a, b] = LocalPair();
  a.reset();
  EXPECT_EQ(b->Recv().status().code(), absl::StatusCode::kUnavailable);
}

TEST(LocalPairTest, CloseWakesABlockedRecv) {
  auto [a, b] = LocalPair();
  auto waiting = std::async(std::launch::async, [&b = b] { return b->Recv().status(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  a->Close();
  EXPECT_EQ(waiting.get().code(), absl::StatusCode::kUnavailable);
}

TEST(LocalPairTest, RecvTimesOutWithDeadlineExceeded) {
  auto [a, b] = LocalPair();
  b->SetTimeout(absl::Milliseconds(50));
  EXPECT_EQ(b->Recv().status().code(), absl::StatusCode::kDeadlineExceeded);
  // The channel still works afterwards.
  ASSERT_TRUE(a->Send(Msg("late")).ok());
  EXPECT_EQ(*b->Recv(), Msg("late"));
}

TEST(LocalPairTest, OversizedSendIsInvalidArgument) {
  auto [a, b] = LocalPair();
  a->set_max_message_len(16);
  EXPECT_EQ(a->Send(Bytes(17)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(a->Send(Bytes(16)).ok());
}

TEST(LocalPairTest, MessageAboveReceiverLimitIsDataLoss) {
  auto [a, b] = LocalPair();
  b->set_max_message_len(16);
  ASSERT_TRUE(a->Send(Bytes(17)).ok());
  EXPECT_EQ(b->Recv().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(b->messages_received(), 0u);
}

TEST(LocalPairTest, DefaultLimitIsKDefaultMaxMessageLen) {
  auto [a, b] = LocalPair();
  EXPECT_EQ(a->max_message_len(), kDefaultMaxMessageLen);
}

}  // namespace
}  // namespace liaison::net
