// FaultyChannel (tests/testing/faulty_channel.h) over LocalPair: each fault
// does what its name says, at the configured message and only there.
#include "testing/faulty_channel.h"

#include "gtest/gtest.h"

namespace liaison::testing {
namespace {

using net::Channel;

Bytes Msg(std::string_view s) { return Bytes(s.begin(), s.end()); }

struct Wired {
  std::unique_ptr<FaultyChannel> faulty;
  std::unique_ptr<Channel> peer;
};

Wired Wire(Fault fault) {
  auto [a, b] = net::LocalPair();
  return {std::make_unique<FaultyChannel>(std::move(a), fault), std::move(b)};
}

// SendThree sends "m0", "m1", "m2" through the faulty end.
std::vector<absl::Status> SendThree(FaultyChannel& ch) {
  std::vector<absl::Status> out;
  for (const char* m : {"message 0", "message 1", "message 2"}) out.push_back(ch.Send(Msg(m)));
  return out;
}

TEST(FaultyChannelTest, NoFaultPassesEverything) {
  Wired w = Wire({});
  for (const absl::Status& s : SendThree(*w.faulty)) EXPECT_TRUE(s.ok());
  EXPECT_EQ(*w.peer->Recv(), Msg("message 0"));
  EXPECT_EQ(*w.peer->Recv(), Msg("message 1"));
  EXPECT_EQ(*w.peer->Recv(), Msg("message 2"));
  ASSERT_TRUE(w.peer->Send(Msg("back")).ok());
  EXPECT_EQ(*w.faulty->Recv(), Msg("back"));
  EXPECT_FALSE(w.faulty->fired());
  EXPECT_EQ(w.faulty->messages_sent(), 3u);
  EXPECT_EQ(w.faulty->inner().messages_sent(), 3u);
}

TEST(FaultyChannelTest, TruncateKeepsHalfOfTheChosenMessageOnly) {
  Wired w = Wire({.kind = Fault::kTruncate, .message_index = 1});
  for (const absl::Status& s : SendThree(*w.faulty)) EXPECT_TRUE(s.ok());
  EXPECT_EQ(*w.peer->Recv(), Msg("message 0"));
  EXPECT_EQ(*w.peer->Recv(), Msg("mess"));  // 9 bytes -> 4.
  EXPECT_EQ(*w.peer->Recv(), Msg("message 2"));
  EXPECT_TRUE(w.faulty->fired());
}

TEST(FaultyChannelTest, TruncateToAGivenLength) {
  Wired w = Wire({.kind = Fault::kTruncate, .message_index = 0, .keep_len = 0});
  ASSERT_TRUE(w.faulty->Send(Msg("abc")).ok());
  EXPECT_EQ(*w.peer->Recv(), Bytes());
}

TEST(FaultyChannelTest, FlipByteChangesExactlyOneByte) {
  Wired w = Wire({.kind = Fault::kFlipByte, .message_index = 2, .byte_index = 3,
                  .xor_mask = 0x20});
  for (const absl::Status& s : SendThree(*w.faulty)) EXPECT_TRUE(s.ok());
  EXPECT_EQ(*w.peer->Recv(), Msg("message 0"));
  EXPECT_EQ(*w.peer->Recv(), Msg("message 1"));
  EXPECT_EQ(*w.peer->Recv(), Msg("mesSage 2"));
}

TEST(FaultyChannelTest, FlipByteOfAnEmptyMessageAddsAByte) {
  Wired w = Wire({.kind = Fault::kFlipByte});
  ASSERT_TRUE(w.faulty->Send(Bytes()).ok());
  EXPECT_EQ(*w.peer->Recv(), Bytes{0x01});
}

TEST(FaultyChannelTest, GarbageReplacesTheMessageReproducibly) {
  Bytes first;
  for (int run = 0; run < 2; ++run) {
    Wired w = Wire({.kind = Fault::kGarbage, .seed = 7});
    ASSERT_TRUE(w.faulty->Send(Msg("a perfectly good message")).ok());
    Bytes got = *w.peer->Recv();
    EXPECT_EQ(got.size(), 24u);
    EXPECT_NE(got, Msg("a perfectly good message"));
    if (run == 0) first = got;
    else EXPECT_EQ(got, first);
  }
  Wired w = Wire({.kind = Fault::kGarbage, .garbage_len = 3});
  ASSERT_TRUE(w.faulty->Send(Msg("x")).ok());
  EXPECT_EQ(w.peer->Recv()->size(), 3u);
}

TEST(FaultyChannelTest, OversizeIsRefusedByTheReceiver) {
  Wired w = Wire({.kind = Fault::kOversize, .oversize_len = 1025});
  w.faulty->set_max_message_len(1024);
  w.peer->set_max_message_len(1024);
  EXPECT_TRUE(w.faulty->Send(Msg("small")).ok());
  EXPECT_EQ(w.peer->Recv().status().code(), absl::StatusCode::kDataLoss);
  // The limit of the faulty end is back in force afterwards.
  EXPECT_EQ(w.faulty->Send(Bytes(1025)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(w.faulty->inner().max_message_len(), 1024u);
}

TEST(FaultyChannelTest, DropAndCloseLosesTheMessageSilently) {
  Wired w = Wire({.kind = Fault::kDropAndClose, .message_index = 1});
  std::vector<absl::Status> sent = SendThree(*w.faulty);
  EXPECT_TRUE(sent[0].ok());
  EXPECT_TRUE(sent[1].ok());  // The sender does not know.
  EXPECT_EQ(sent[2].code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(*w.peer->Recv(), Msg("message 0"));
  EXPECT_EQ(w.peer->Recv().status().code(), absl::StatusCode::kUnavailable);
}

TEST(FaultyChannelTest, CloseBeforeFailsTheSend) {
  Wired w = Wire({.kind = Fault::kCloseBefore, .message_index = 1});
  std::vector<absl::Status> sent = SendThree(*w.faulty);
  EXPECT_TRUE(sent[0].ok());
  EXPECT_EQ(sent[1].code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(*w.peer->Recv(), Msg("message 0"));
  EXPECT_EQ(w.peer->Recv().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(w.faulty->messages_sent(), 1u);
}

TEST(FaultyChannelTest, ReceiveSideFaults) {
  auto recv_fault = [](Fault::Kind kind) {
    Fault f;
    f.kind = kind;
    f.direction = Fault::kRecv;
    f.message_index = 1;
    return f;
  };
  {
    Wired w = Wire(recv_fault(Fault::kFlipByte));
    for (const char* m : {"m0", "m1", "m2"}) ASSERT_TRUE(w.peer->Send(Msg(m)).ok());
    EXPECT_EQ(*w.faulty->Recv(), Msg("m0"));
    EXPECT_EQ(*w.faulty->Recv(), Msg("l1"));
    EXPECT_EQ(*w.faulty->Recv(), Msg("m2"));
  }
  {
    Wired w = Wire(recv_fault(Fault::kTruncate));
    for (const char* m : {"m0", "m1"}) ASSERT_TRUE(w.peer->Send(Msg(m)).ok());
    EXPECT_EQ(*w.faulty->Recv(), Msg("m0"));
    EXPECT_EQ(*w.faulty->Recv(), Msg("m"));
  }
  {
    Wired w = Wire(recv_fault(Fault::kOversize));
    for (const char* m : {"m0", "m1"}) ASSERT_TRUE(w.peer->Send(Msg(m)).ok());
    EXPECT_TRUE(w.faulty->Recv().ok());
    EXPECT_EQ(w.faulty->Recv().status().code(), absl::StatusCode::kDataLoss);
  }
  {
    Wired w = Wire(recv_fault(Fault::kDropAndClose));
    for (const char* m : {"m0", "m1", "m2"}) ASSERT_TRUE(w.peer->Send(Msg(m)).ok());
    EXPECT_TRUE(w.faulty->Recv().ok());
    EXPECT_EQ(w.faulty->Recv().status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(w.faulty->Recv().status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(w.peer->Send(Msg("late")).code(), absl::StatusCode::kUnavailable);
  }
  {
    Wired w = Wire(recv_fault(Fault::kCloseBefore));
    for (const char* m : {"m0", "m1"}) ASSERT_TRUE(w.peer->Send(Msg(m)).ok());
    EXPECT_TRUE(w.faulty->Recv().ok());
    EXPECT_EQ(w.faulty->Recv().status().code(), absl::StatusCode::kUnavailable);
  }
}

TEST(FaultyChannelTest, OnlyTheConfiguredDirectionIsAffected) {
  Wired w = Wire({.kind = Fault::kGarbage, .message_index = 0, .direction = Fault::kRecv});
  ASSERT_TRUE(w.faulty->Send(Msg("intact")).ok());
  EXPECT_EQ(*w.peer->Recv(), Msg("intact"));
  EXPECT_FALSE(w.faulty->fired());
}

TEST(FaultyChannelTest, EveryKindHasADescription) {
  for (Fault::Kind kind : AllFaultKinds()) {
    Fault f;
    f.kind = kind;
    EXPECT_NE(f.DebugString(), Fault().DebugString());
  }
}

}  // namespace
}  // namespace liaison::testing
