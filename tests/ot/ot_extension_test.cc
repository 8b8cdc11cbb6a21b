#include "ot/ot_extension.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/strings.h"
#include "crypto/aes.h"
#include "crypto/gf128.h"
#include "gtest/gtest.h"
#include "testing/two_parties.h"
#include "net/channel.h"
#include "ot/base_ot.h"
#include "testing/faulty_channel.h"

namespace liaison::ot {
namespace {

using crypto::kZeroBlock;
using testing::Fault;

constexpr uint64_t kSeed = 0x07e50001;

OtExtensionParams Params(Security security, size_t chunk_blocks = 512, int threads = 1,
                         int k = 1) {
  OtExtensionParams p;
  p.security = security;
  p.chunk_blocks = chunk_blocks;
  p.num_threads = threads;
  p.softspoken_k = k;
  return p;
}

// GgmBytes is what SoftSpoken's SetUp sends beyond the base OTs: two blocks
// per tree level past the first, per group.
uint64_t GgmBytes(int k) {
  uint64_t bytes = 0;
  for (int row = 0; row < 128; row += k) bytes += 32 * (std::min(k, 128 - row) - 1);
  return bytes;
}

crypto::SecretBits Choices(size_t n, uint64_t seed) {
  crypto::Prng prng = crypto::Prng::FromTestSeed(seed);
  return crypto::SecretBits::Random(n, prng);
}

template <typename S, typename R>
struct Outcome {
  S sender;
  R receiver;
};

// RunBoth runs `sender_fn` over `to_receiver` and `receiver_fn` over
// `to_sender` at once (testing::RunOnEnds) and closes both ends after, as
// processes would.
template <typename SenderFn, typename ReceiverFn>
auto RunBoth(net::Channel& to_receiver, net::Channel& to_sender, SenderFn sender_fn,
             ReceiverFn receiver_fn) {
  auto [s, got] = testing::RunOnEnds(to_receiver, to_sender, sender_fn, receiver_fn);
  to_receiver.Close();
  to_sender.Close();
  return Outcome<decltype(s), decltype(got)>{std::move(s), std::move(got)};
}

// ExpectCorrelation checks t_i = q_i ⊕ b_i·Δ for every i.
void ExpectCorrelation(const Block& delta, const crypto::SecretBlocks& q, const crypto::SecretBits& b,
                       const crypto::SecretBlocks& t) {
  ASSERT_EQ(q.size(), b.size());
  ASSERT_EQ(t.size(), b.size());
  size_t bad = 0, first_bad = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    const Block want = q[i] ^ (Block::AllOnesIf(b.Get(i)) & delta);
    if (t[i] != want) {
      if (bad++ == 0) first_bad = i;
    }
  }
  EXPECT_EQ(bad, 0u) << "first mismatch at OT " << first_bad;
}

void ExpectCot(size_t n, Security security, size_t chunk_blocks = 512, int threads = 1,
               int k = 1) {
  SCOPED_TRACE(::testing::Message() << "n=" << n << " malicious="
                                    << (security == Security::kMalicious)
                                    << " chunk_blocks=" << chunk_blocks << " threads=" << threads
                                    << " k=" << k << " seed=" << kSeed);
  const OtExtensionParams p = Params(security, chunk_blocks, threads, k);
  crypto::SecretBits choices = Choices(n, kSeed + n);
  auto [a, b] = net::LocalPair();
  auto o = RunBoth(
      *a, *b,
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
        return OtExtensionSender(p).Run(ch, n, prng);
      },
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
        return OtExtensionReceiver(p).Run(ch, choices, prng);
      });
  ASSERT_TRUE(o.sender.ok()) << o.sender.status();
  ASSERT_TRUE(o.receiver.ok()) << o.receiver.status();
  const Block& delta = o.sender->delta.value();
  EXPECT_NE(delta, kZeroBlock);
  ExpectCorrelation(delta, o.sender->q, choices, *o.receiver);
  if (n >= 2) {
    EXPECT_NE(o.sender->q[0], o.sender->q[1]);
  }

  // Bytes: base OTs (receiver 32, sender 8192), SoftSpoken's GGM
  // corrections, the 31-byte header, 16·⌈128/k⌉ bytes per block of 128 OTs
  // (plus the extra block and 2,064 bytes of check in malicious mode; the
  // sender's 16-byte seed), and 4 per frame.
  const uint64_t blocks = (n + 127) / 128 + (security == Security::kMalicious ? 1 : 0);
  const uint64_t chunks = (blocks + chunk_blocks - 1) / chunk_blocks;
  const uint64_t groups = (128 + k - 1) / k;
  uint64_t recv_bytes = 32 + 31 + 16 * groups * blocks + net::kFrameHeaderLen * (2 + chunks);
  if (k > 1) recv_bytes += GgmBytes(k) + net::kFrameHeaderLen;
  uint64_t send_bytes = 8192 + net::kFrameHeaderLen;
  if (security == Security::kMalicious) {
    recv_bytes += 2064 + net::kFrameHeaderLen;
    send_bytes += 16 + net::kFrameHeaderLen;
  }
  EXPECT_EQ(b->bytes_sent(), recv_bytes);
  EXPECT_EQ(a->bytes_sent(), send_bytes);
}

class CotTest : public ::testing::TestWithParam<Security> {};

TEST_P(CotTest, OneOt) { ExpectCot(1, GetParam()); }
TEST_P(CotTest, OneBlockMinusOne) { ExpectCot(127, GetParam()); }
TEST_P(CotTest, OneBlock) { ExpectCot(128, GetParam()); }
TEST_P(CotTest, OneBlockPlusOne) { ExpectCot(129, GetParam()); }
TEST_P(CotTest, HundredThousand) { ExpectCot(100000, GetParam()); }
TEST_P(CotTest, ZeroOts) { ExpectCot(0, GetParam()); }
TEST_P(CotTest, TinyChunks) {
  // One block per message: the extra check block travels alone.
  ExpectCot(1000, GetParam(), /*chunk_blocks=*/1);
  ExpectCot(1000, GetParam(), /*chunk_blocks=*/3);
}
TEST_P(CotTest, TwoThreads) { ExpectCot(100000, GetParam(), /*chunk_blocks=*/64, /*threads=*/2); }

INSTANTIATE_TEST_SUITE_P(BothModels, CotTest,
                         ::testing::Values(Security::kSemiHonest, Security::kMalicious),
                         [](const ::testing::TestParamInfo<Security>& info) {
                           return info.param == Security::kMalicious ? "Malicious" : "SemiHonest";
                         });

TEST(CotTest, OneMillionSemiHonest) { ExpectCot(1000000, Security::kSemiHonest, 512, 2); }
TEST(CotTest, OneMillionMalicious) { ExpectCot(1000000, Security::kMalicious, 512, 2); }

TEST(CotTest, ThreadCountDoesNotChangeTheOutputs) {
  // All randomness is drawn before work is split, so outputs depend on the
  // seeds only.
  std::vector<Block> runs[2];
  for (int threads : {1, 2}) {
    const OtExtensionParams p = Params(Security::kMalicious, 8, threads);
    crypto::SecretBits choices = Choices(5000, kSeed);
    auto [a, b] = net::LocalPair();
    auto o = RunBoth(
        *a, *b,
        [&](net::Channel& ch) {
          crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
          return OtExtensionSender(p).Run(ch, 5000, prng);
        },
        [&](net::Channel& ch) {
          crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
          return OtExtensionReceiver(p).Run(ch, choices, prng);
        });
    ASSERT_TRUE(o.sender.ok() && o.receiver.ok());
    runs[threads - 1].assign(o.receiver->data(), o.receiver->data() + 5000);
  }
  EXPECT_EQ(runs[0], runs[1]);
}

// A set-up pair, for tests that extend several times.
struct Pair {
  std::unique_ptr<net::Channel> to_receiver, to_sender;
  OtExtensionSender sender;
  OtExtensionReceiver receiver;
  crypto::Prng sender_prng = crypto::Prng::FromTestSeed(kSeed);
  crypto::Prng receiver_prng = crypto::Prng::FromTestSeed(kSeed + 1);

  explicit Pair(const OtExtensionParams& p) : sender(p), receiver(p) {
    auto [a, b] = net::LocalPair();
    to_receiver = std::move(a);
    to_sender = std::move(b);
    auto [st, r] = testing::RunOnEnds(
        *to_receiver, *to_sender, [&](net::Channel& ch) { return sender.SetUp(ch, sender_prng); },
        [&](net::Channel& ch) { return receiver.SetUp(ch, receiver_prng); });
    EXPECT_TRUE(r.ok()) << r;
    EXPECT_TRUE(st.ok()) << st;
  }

  template <typename SenderFn, typename ReceiverFn>
  auto Run(SenderFn sf, ReceiverFn rf) {
    auto [s, got] = testing::RunOnEnds(*to_receiver, *to_sender, sf, rf);
    return Outcome<decltype(s), decltype(got)>{std::move(s), std::move(got)};
  }
};

TEST(RotTest, ReceiverGetsExactlyTheChosenMessage) {
  for (Security sec : {Security::kSemiHonest, Security::kMalicious}) {
    Pair pair(Params(sec));
    for (size_t n : {size_t{1}, size_t{129}, size_t{10000}}) {
      SCOPED_TRACE(::testing::Message() << "n=" << n << " seed=" << kSeed);
      crypto::SecretBits choices = Choices(n, kSeed + n);
      auto o = pair.Run(
          [&](net::Channel& ch) { return pair.sender.ExtendRot(ch, n, pair.sender_prng); },
          [&](net::Channel& ch) {
            return pair.receiver.ExtendRot(ch, choices, pair.receiver_prng);
          });
      ASSERT_TRUE(o.sender.ok()) << o.sender.status();
      ASSERT_TRUE(o.receiver.ok()) << o.receiver.status();
      for (size_t i = 0; i < n; ++i) {
        const Block& want = choices.Get(i) ? o.sender->m1[i] : o.sender->m0[i];
        const Block& other = choices.Get(i) ? o.sender->m0[i] : o.sender->m1[i];
        ASSERT_EQ((*o.receiver)[i], want) << "OT " << i;
        ASSERT_NE((*o.receiver)[i], other) << "OT " << i;
      }
      // The hash breaks the correlation: m0 ⊕ m1 is not a constant.
      if (n >= 2) {
        EXPECT_NE(o.sender->m0[0] ^ o.sender->m1[0], o.sender->m0[1] ^ o.sender->m1[1]);
      }
    }
  }
}

TEST(RotTest, SuccessiveExtendsGiveFreshMessages) {
  Pair pair(Params(Security::kMalicious));
  std::set<std::pair<uint64_t, uint64_t>> seen;
  for (int round = 0; round < 3; ++round) {
    crypto::SecretBits choices(256);  // all zero: the receiver gets m0 each time
    auto o = pair.Run(
        [&](net::Channel& ch) { return pair.sender.ExtendRot(ch, 256, pair.sender_prng); },
        [&](net::Channel& ch) {
        return pair.receiver.ExtendRot(ch, choices, pair.receiver_prng);
      });
    ASSERT_TRUE(o.sender.ok() && o.receiver.ok());
    for (size_t i = 0; i < 256; ++i) {
      EXPECT_TRUE(seen.insert({o.sender->m0[i].hi, o.sender->m0[i].lo}).second);
      EXPECT_EQ((*o.receiver)[i], o.sender->m0[i]);
    }
  }
}

TEST(ChosenOtTest, ReceiverGetsTheChosenInputs) {
  for (Security sec : {Security::kSemiHonest, Security::kMalicious}) {
    // Small chunks: several chosen-message messages.
    Pair pair(Params(sec, /*chunk_blocks=*/2));
    const size_t n = 1000;
    std::vector<Block> x0(n), x1(n);
    for (size_t i = 0; i < n; ++i) {
      x0[i] = Block(i, 2 * i);
      x1[i] = Block(~i, 3 * i + 1);
    }
    crypto::SecretBits choices = Choices(n, kSeed);
    auto o = pair.Run(
        [&](net::Channel& ch) { return pair.sender.SendChosen(ch, x0, x1, pair.sender_prng); },
        [&](net::Channel& ch) {
          return pair.receiver.ReceiveChosen(ch, choices, pair.receiver_prng);
        });
    ASSERT_TRUE(o.sender.ok()) << o.sender;
    ASSERT_TRUE(o.receiver.ok()) << o.receiver.status();
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ((*o.receiver)[i], choices.Get(i) ? x1[i] : x0[i]) << "OT " << i;
    }
  }
}

TEST(ChosenOtTest, UnequalInputsAreInvalidArgument) {
  OtExtensionSender sender;
  auto [a, b] = net::LocalPair();
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  std::vector<Block> x0(3), x1(4);
  EXPECT_EQ(sender.SendChosen(*a, x0, x1, prng).code(), absl::StatusCode::kInvalidArgument);
}

TEST(OtExtensionTest, MixedKindsOnOneSetUpKeepTheCorrelation) {
  Pair pair(Params(Security::kMalicious, 4));
  for (size_t n : {size_t{300}, size_t{1}, size_t{5000}}) {
    crypto::SecretBits choices = Choices(n, kSeed + n);
    auto o = pair.Run(
        [&](net::Channel& ch) { return pair.sender.ExtendCot(ch, n, pair.sender_prng); },
        [&](net::Channel& ch) {
          return pair.receiver.ExtendCot(ch, choices, pair.receiver_prng);
        });
    ASSERT_TRUE(o.sender.ok() && o.receiver.ok());
    ExpectCorrelation(pair.sender.delta(), *o.sender, choices, *o.receiver);
    auto r = pair.Run(
        [&](net::Channel& ch) { return pair.sender.ExtendRot(ch, 10, pair.sender_prng); },
        [&](net::Channel& ch) {
          return pair.receiver.ExtendRot(ch, Choices(10, 1), pair.receiver_prng);
        });
    ASSERT_TRUE(r.sender.ok() && r.receiver.ok());
  }
}

TEST(OtExtensionTest, ExtendBeforeSetUpIsFailedPrecondition) {
  auto [a, b] = net::LocalPair();
  crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
  OtExtensionSender sender;
  EXPECT_EQ(sender.ExtendCot(*a, 10, prng).status().code(), absl::StatusCode::kFailedPrecondition);
  OtExtensionReceiver receiver;
  EXPECT_EQ(receiver.ExtendCot(*b, Choices(10, 1), prng).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(OtExtensionTest, ChunkThatDoesNotFitTheChannelIsInvalidArgument) {
  Pair pair(Params(Security::kSemiHonest, 512));
  pair.to_receiver->set_max_message_len(1 << 20);  // 512 blocks need 1 MiB + 0
  pair.to_sender->set_max_message_len((1 << 20) - 1);
  auto r = pair.receiver.ExtendCot(*pair.to_sender, Choices(10, 1), pair.receiver_prng);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OtExtensionTest, ZeroChunkIsInvalidArgument) {
  Pair pair(Params(Security::kSemiHonest, 0));
  EXPECT_EQ(pair.sender.ExtendCot(*pair.to_receiver, 10, pair.sender_prng).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      pair.receiver.ExtendCot(*pair.to_sender, Choices(10, 1), pair.receiver_prng).status().code(),
      absl::StatusCode::kInvalidArgument);
}

// Parameter disagreements are caught by the sender from the header.
void ExpectMismatch(const OtExtensionParams& ps, const OtExtensionParams& pr, size_t ns,
                    size_t nr) {
  auto [a, b] = net::LocalPair();
  crypto::SecretBits choices = Choices(nr, kSeed);
  auto o = RunBoth(
      *a, *b,
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
        return OtExtensionSender(ps).Run(ch, ns, prng);
      },
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
        return OtExtensionReceiver(pr).Run(ch, choices, prng);
      });
  EXPECT_EQ(o.sender.status().code(), absl::StatusCode::kFailedPrecondition) << o.sender.status();
  // A malicious receiver waits for the seed and sees the sender hang up.
  if (pr.security == Security::kMalicious) {
    EXPECT_EQ(o.receiver.status().code(), absl::StatusCode::kUnavailable) << o.receiver.status();
  }
}

TEST(OtExtensionTest, SecurityMismatchIsFailedPrecondition) {
  ExpectMismatch(Params(Security::kMalicious), Params(Security::kSemiHonest), 100, 100);
  ExpectMismatch(Params(Security::kSemiHonest), Params(Security::kMalicious), 100, 100);
}

TEST(OtExtensionTest, CountMismatchIsFailedPrecondition) {
  ExpectMismatch(Params(Security::kMalicious), Params(Security::kMalicious), 100, 101);
}

TEST(OtExtensionTest, ChunkMismatchIsFailedPrecondition) {
  ExpectMismatch(Params(Security::kMalicious, 4), Params(Security::kMalicious, 8), 100, 100);
}

TEST(OtExtensionTest, KindMismatchIsFailedPrecondition) {
  Pair pair(Params(Security::kSemiHonest));
  auto o = pair.Run(
      [&](net::Channel& ch) { return pair.sender.ExtendCot(ch, 10, pair.sender_prng); },
      [&](net::Channel& ch) {
        return pair.receiver.ExtendRot(ch, Choices(10, 1), pair.receiver_prng);
      });
  EXPECT_EQ(o.sender.status().code(), absl::StatusCode::kFailedPrecondition);
  // The sender is now spent.
  EXPECT_EQ(pair.sender.ExtendCot(*pair.to_receiver, 10, pair.sender_prng).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// ------------------------------------------------ a cheating receiver --

// InsecureInconsistentChoiceReceiver plays the malicious receiver's side of
// SetUp and one malicious ExtendCot, but uses different choice bits in the
// columns of the base OTs in `cheat_columns`: there it XORs a nonzero
// pattern into U_j, exactly as if b had been different in those columns.
// It answers the check as an honest receiver would, which passes only if
// Δ_j = 0 for every cheating column j. Test-only: it exists to show that the
// sender catches it.
class InsecureInconsistentChoiceReceiver {
 public:
  explicit InsecureInconsistentChoiceReceiver(std::vector<size_t> cheat_columns)
      : cheat_(std::move(cheat_columns)) {}

  absl::Status Run(net::Channel& ch, size_t n, crypto::Prng& prng) {
    auto seeds = BaseOtSender().Run(ch, 128, prng);
    if (!seeds.ok()) return seeds.status();
    std::vector<crypto::Aes128> prg0, prg1;
    for (size_t j = 0; j < 128; ++j) {
      prg0.emplace_back(seeds->m0[j]);
      prg1.emplace_back(seeds->m1[j]);
    }
    const size_t k = (n + 127) / 128, total = k + 1;
    crypto::SecretBits b = crypto::SecretBits::Random(128 * total, prng);
    ByteWriter w;
    w.U32(0x45544F4C);
    w.U32(1);
    w.U8(1);  // malicious
    w.U8(0);  // COT
    w.U8(1);  // k: IKNP
    w.U64(n);
    w.U32(512);  // the sender's chunk size; 1000 OTs fit one chunk
    w.U64(0);
    absl::Status s = ch.Send(w.Take());
    if (!s.ok()) return s;
    std::vector<std::vector<Block>> cols(128, std::vector<Block>(total));
    Bytes msg;
    for (size_t j = 0; j < 128; ++j) {
      std::vector<Block> g1(total);
      prg0[j].EncryptCounter(0, absl::MakeSpan(cols[j]));
      prg1[j].EncryptCounter(0, absl::MakeSpan(g1));
      const bool cheat = std::find(cheat_.begin(), cheat_.end(), j) != cheat_.end();
      for (size_t x = 0; x < total; ++x) {
        Block u = cols[j][x] ^ g1[x] ^ b.blocks()[x];
        if (cheat && x == 0) u ^= Block(0, 1);  // flip the choice bit of OT 0 in column j
        uint8_t bytes[16];
        u.ToBytes(bytes);
        msg.insert(msg.end(), bytes, bytes + 16);
      }
    }
    s = ch.Send(msg);
    if (!s.ok()) return s;
    auto seed = ch.Recv();
    if (!seed.ok()) return seed.status();
    std::vector<Block> chi(k);
    crypto::Aes128(Block::FromBytes(seed->data())).EncryptCounter(0, absl::MakeSpan(chi));
    std::vector<Block> answer(129);
    answer[0] = crypto::Gf128InnerProduct(b.blocks().subspan(0, k), chi) ^ b.blocks()[k];
    for (size_t j = 0; j < 128; ++j) {
      answer[1 + j] =
          crypto::Gf128InnerProduct(absl::MakeConstSpan(cols[j]).subspan(0, k), chi) ^ cols[j][k];
    }
    return ch.Send(crypto::AsByteSpan(answer));
  }

 private:
  std::vector<size_t> cheat_;
};

struct CheatOutcome {
  absl::Status sender;
  Block delta;
};

CheatOutcome RunCheater(std::vector<size_t> cheat_columns, uint64_t seed) {
  auto [a, b] = net::LocalPair();
  OtExtensionSender sender(Params(Security::kMalicious));
  InsecureInconsistentChoiceReceiver cheater(std::move(cheat_columns));
  auto [cheat_status, sent] = testing::RunOnEnds(
      *b, *a,
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(seed + 1);
        return cheater.Run(ch, 1000, prng);
      },
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(seed);
        return sender.Run(ch, 1000, prng).status();
      });
  CheatOutcome out{sent, sender.is_set_up() ? sender.delta() : kZeroBlock};
  EXPECT_TRUE(cheat_status.ok()) << cheat_status;
  return out;
}

TEST(MaliciousOtExtensionTest, HonestScriptPasses) {
  // The cheater with no cheating columns is an honest receiver: the check
  // passes, so the failures below are the cheating's doing.
  CheatOutcome o = RunCheater({}, kSeed);
  EXPECT_TRUE(o.sender.ok()) << o.sender;
}

TEST(MaliciousOtExtensionTest, InconsistentChoiceBitsAreDataLoss) {
  std::vector<size_t> cols;
  for (size_t j = 0; j < 128; j += 2) cols.push_back(j);  // 64 columns: passes w.p. 2^-64
  CheatOutcome o = RunCheater(cols, kSeed);
  EXPECT_EQ(o.sender.code(), absl::StatusCode::kDataLoss) << o.sender;
}

TEST(MaliciousOtExtensionTest, CheatOnOneColumnIsCaughtExactlyWhenItsDeltaBitIsOne) {
  // The selective-failure leakage every KOS-style check allows: cheating in
  // column j goes unnoticed iff Δ_j = 0, so a receiver that is not caught
  // learns that bit (and risks abort with probability 1/2 per bit).
  int caught = 0;
  for (uint64_t s = 0; s < 8; ++s) {
    CheatOutcome o = RunCheater({5}, kSeed + 100 * s);
    SCOPED_TRACE(::testing::Message() << "seed=" << kSeed + 100 * s);
    if (o.delta.Bit(5) == 1) {
      EXPECT_EQ(o.sender.code(), absl::StatusCode::kDataLoss) << o.sender;
      ++caught;
    } else {
      EXPECT_TRUE(o.sender.ok()) << o.sender;
    }
  }
  EXPECT_GT(caught, 0);  // the seeds cover both cases
  EXPECT_LT(caught, 8);
}

// ------------------------------------------------------ fault injection --

// Messages of one Run (SetUp + ExtendCot) with n = 1000 and chunk_blocks = 4
// in malicious mode (9 blocks, 3 column chunks):
//   receiver → sender: #0 base-OT point, #1 header, #2..#4 columns, #5 check
//   sender → receiver: #0 base-OT pairs, #1 check seed
struct FaultCase {
  bool by_sender;      // the side whose sends are damaged
  uint64_t index;      // message index among that side's sends
  const char* what;
};

constexpr FaultCase kMaliciousFaults[] = {
    {false, 0, "base-OT point"}, {false, 1, "header"}, {false, 2, "first column chunk"},
    {false, 4, "last column chunk"}, {false, 5, "check answer"},
    {true, 0, "base-OT pairs"}, {true, 1, "check seed"},
};

struct FaultRun {
  absl::StatusOr<CotSenderOutput> sender = absl::InternalError("unset");
  absl::StatusOr<crypto::SecretBlocks> receiver = absl::InternalError("unset");
  crypto::SecretBits choices;
};

FaultRun RunWithFault(Security security, const FaultCase& c, const Fault& fault, int k = 1) {
  const OtExtensionParams p = Params(security, 4, 1, k);
  auto [a, b] = net::LocalPair();
  std::unique_ptr<net::Channel> sender_end = std::move(a), receiver_end = std::move(b);
  if (c.by_sender) {
    sender_end = std::make_unique<testing::FaultyChannel>(std::move(sender_end), fault);
  } else {
    receiver_end = std::make_unique<testing::FaultyChannel>(std::move(receiver_end), fault);
  }
  FaultRun run;
  run.choices = Choices(1000, kSeed);
  auto o = RunBoth(
      *sender_end, *receiver_end,
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
        return OtExtensionSender(p).Run(ch, 1000, prng);
      },
      [&](net::Channel& ch) {
        crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
        return OtExtensionReceiver(p).Run(ch, run.choices, prng);
      });
  run.sender = std::move(o.sender);
  run.receiver = std::move(o.receiver);
  return run;
}

bool IsDataLossOrUnavailable(const absl::Status& s) {
  return s.code() == absl::StatusCode::kDataLoss || s.code() == absl::StatusCode::kUnavailable;
}

// In malicious mode every fault must end with the sender — the party that
// holds the verdict — failing with DataLoss or Unavailable: damage that
// decodes (a flipped column byte, a valid but wrong point, a wrong seed)
// breaks the correlation and the check catches it. The receiver either
// finished its part or failed with DataLoss or Unavailable.
TEST(OtExtensionFaultTest, MaliciousSenderNeverAcceptsDamage) {
  for (const FaultCase& c : kMaliciousFaults) {
    for (Fault::Kind kind : testing::AllFaultKinds()) {
      Fault fault;
      fault.kind = kind;
      fault.direction = Fault::kSend;
      fault.message_index = c.index;
      fault.byte_index = 40;  // past the header's magic; inside any payload
      SCOPED_TRACE(fault.DebugString() + " (" + c.what + ")");
      FaultRun run = RunWithFault(Security::kMalicious, c, fault);
      const absl::Status s = run.sender.status();
      if (c.index == 1 && !c.by_sender && kind == Fault::kFlipByte) {
        // Byte 40 of a 31-byte header is byte 9: the kind. The header
        // decodes, and disagrees.
        EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
      } else {
        EXPECT_TRUE(IsDataLossOrUnavailable(s)) << s;
      }
      if (!run.receiver.ok()) {
        EXPECT_TRUE(IsDataLossOrUnavailable(run.receiver.status())) << run.receiver.status();
      }
    }
  }
}

TEST(OtExtensionFaultTest, TruncatedColumnsAreDataLoss) {
  for (Security sec : {Security::kSemiHonest, Security::kMalicious}) {
    Fault fault;
    fault.kind = Fault::kTruncate;
    fault.message_index = 3;
    FaultRun run = RunWithFault(sec, {false, 3, "column chunk"}, fault);
    EXPECT_EQ(run.sender.status().code(), absl::StatusCode::kDataLoss) << run.sender.status();
  }
}

TEST(OtExtensionFaultTest, OversizedColumnsAreDataLoss) {
  Fault fault;
  fault.kind = Fault::kOversize;
  fault.message_index = 2;
  FaultRun run = RunWithFault(Security::kSemiHonest, {false, 2, "column chunk"}, fault);
  EXPECT_EQ(run.sender.status().code(), absl::StatusCode::kDataLoss) << run.sender.status();
}

TEST(OtExtensionFaultTest, GarbledColumnsAreCaughtByTheCheck) {
  Fault fault;
  fault.kind = Fault::kGarbage;
  fault.message_index = 3;
  FaultRun run = RunWithFault(Security::kMalicious, {false, 3, "column chunk"}, fault);
  EXPECT_EQ(run.sender.status().code(), absl::StatusCode::kDataLoss) << run.sender.status();
  EXPECT_TRUE(run.receiver.ok()) << run.receiver.status();  // it cannot know
}

TEST(OtExtensionFaultTest, GarbledHeaderIsDataLoss) {
  Fault fault;
  fault.kind = Fault::kGarbage;
  fault.message_index = 1;
  FaultRun run = RunWithFault(Security::kMalicious, {false, 1, "header"}, fault);
  EXPECT_EQ(run.sender.status().code(), absl::StatusCode::kDataLoss) << run.sender.status();
  EXPECT_EQ(run.receiver.status().code(), absl::StatusCode::kUnavailable);
}

TEST(OtExtensionFaultTest, WrongLengthSeedIsDataLossForTheReceiver) {
  Fault fault;
  fault.kind = Fault::kTruncate;
  fault.message_index = 1;
  FaultRun run = RunWithFault(Security::kMalicious, {true, 1, "check seed"}, fault);
  EXPECT_EQ(run.receiver.status().code(), absl::StatusCode::kDataLoss) << run.receiver.status();
  EXPECT_EQ(run.sender.status().code(), absl::StatusCode::kUnavailable) << run.sender.status();
}

TEST(OtExtensionFaultTest, PeerClosingMidRunIsUnavailable) {
  for (Security sec : {Security::kSemiHonest, Security::kMalicious}) {
    Fault fault;
    fault.kind = Fault::kCloseBefore;
    fault.message_index = 3;  // after the first column chunk
    FaultRun run = RunWithFault(sec, {false, 3, "column chunk"}, fault);
    EXPECT_EQ(run.sender.status().code(), absl::StatusCode::kUnavailable) << run.sender.status();
    EXPECT_EQ(run.receiver.status().code(), absl::StatusCode::kUnavailable);
  }
}

TEST(OtExtensionFaultTest, SemiHonestCannotDetectAFlippedColumnByte) {
  // The limit of the semi-honest model, stated as a test: the sender accepts
  // and one OT's correlation is silently wrong. Over TLS such damage can
  // only come from a cheating receiver, which only kMalicious defends
  // against.
  Fault fault;
  fault.kind = Fault::kFlipByte;
  fault.message_index = 2;
  fault.byte_index = 16 * 4 * 7 + 3;  // column 7, block 0, byte 3
  FaultRun run = RunWithFault(Security::kSemiHonest, {false, 2, "column chunk"}, fault);
  ASSERT_TRUE(run.sender.ok()) << run.sender.status();
  ASSERT_TRUE(run.receiver.ok()) << run.receiver.status();
  size_t bad = 0;
  for (size_t i = 0; i < 1000; ++i) {
    const Block want =
        run.sender->q[i] ^ (Block::AllOnesIf(run.choices.Get(i)) & run.sender->delta.value());
    bad += (*run.receiver)[i] != want;
  }
  // Bit 24 of column 7 changed: OT 24 is wrong iff Δ_7 = 1.
  EXPECT_EQ(bad, static_cast<size_t>(run.sender->delta.value().Bit(7)));
}

// ------------------------------------------------------------ SoftSpoken --

class SoftSpokenTest : public ::testing::TestWithParam<std::tuple<int, Security>> {};

TEST_P(SoftSpokenTest, CorrelationHoldsForEveryOt) {
  const auto [k, sec] = GetParam();
  for (size_t n : {size_t{1}, size_t{127}, size_t{129}, size_t{10000}}) {
    ExpectCot(n, sec, 512, 1, k);
  }
  ExpectCot(5000, sec, /*chunk_blocks=*/3, /*threads=*/2, k);
}

TEST_P(SoftSpokenTest, RandomAndChosenOts) {
  const auto [k, sec] = GetParam();
  Pair pair(Params(sec, 8, 1, k));
  const size_t n = 3000;
  crypto::SecretBits choices = Choices(n, kSeed + 5);
  auto o = pair.Run(
      [&](net::Channel& ch) { return pair.sender.ExtendRot(ch, n, pair.sender_prng); },
      [&](net::Channel& ch) {
        return pair.receiver.ExtendRot(ch, choices, pair.receiver_prng);
      });
  ASSERT_TRUE(o.sender.ok()) << o.sender.status();
  ASSERT_TRUE(o.receiver.ok()) << o.receiver.status();
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ((*o.receiver)[i], choices.Get(i) ? o.sender->m1[i] : o.sender->m0[i]) << i;
    ASSERT_NE((*o.receiver)[i], choices.Get(i) ? o.sender->m0[i] : o.sender->m1[i]) << i;
  }
  std::vector<Block> x0(n), x1(n);
  for (size_t i = 0; i < n; ++i) {
    x0[i] = Block(i, 7);
    x1[i] = Block(7, i);
  }
  auto c = pair.Run(
      [&](net::Channel& ch) { return pair.sender.SendChosen(ch, x0, x1, pair.sender_prng); },
      [&](net::Channel& ch) {
        return pair.receiver.ReceiveChosen(ch, choices, pair.receiver_prng);
      });
  ASSERT_TRUE(c.sender.ok()) << c.sender;
  ASSERT_TRUE(c.receiver.ok()) << c.receiver.status();
  for (size_t i = 0; i < n; ++i) ASSERT_EQ((*c.receiver)[i], choices.Get(i) ? x1[i] : x0[i]) << i;
}

INSTANTIATE_TEST_SUITE_P(
    SomeK, SoftSpokenTest,
    ::testing::Combine(::testing::Values(2, 3, 4, 5, 8),
                       ::testing::Values(Security::kSemiHonest, Security::kMalicious)),
    [](const ::testing::TestParamInfo<std::tuple<int, Security>>& info) {
      return StrCat("K", std::get<0>(info.param),
                    std::get<1>(info.param) == Security::kMalicious ? "Malicious" : "SemiHonest");
    });

TEST(SoftSpokenTest, OneMillionMaliciousK4) { ExpectCot(1000000, Security::kMalicious, 512, 2, 4); }

TEST(SoftSpokenTest, KOutOfRangeIsInvalidArgument) {
  for (int k : {0, 9, -1}) {
    auto [a, b] = net::LocalPair();
    crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
    OtExtensionSender sender(Params(Security::kMalicious, 512, 1, k));
    EXPECT_EQ(sender.SetUp(*a, prng).code(), absl::StatusCode::kInvalidArgument) << k;
    OtExtensionReceiver receiver(Params(Security::kMalicious, 512, 1, k));
    EXPECT_EQ(receiver.SetUp(*b, prng).code(), absl::StatusCode::kInvalidArgument) << k;
  }
}

// A disagreement on k shows in SetUp: the GGM corrections have the wrong
// length, or are missing, or arrive where the header should.
TEST(SoftSpokenTest, KMismatchIsDataLoss) {
  const int pairs[][2] = {{2, 4}, {1, 2}, {4, 1}, {8, 7}};
  for (const auto& kk : pairs) {
    SCOPED_TRACE(::testing::Message() << "sender k=" << kk[0] << " receiver k=" << kk[1]);
    auto [a, b] = net::LocalPair();
    crypto::SecretBits choices = Choices(100, kSeed);
    auto o = RunBoth(
        *a, *b,
        [&](net::Channel& ch) {
          crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed);
          return OtExtensionSender(Params(Security::kMalicious, 512, 1, kk[0])).Run(ch, 100, prng);
        },
        [&](net::Channel& ch) {
          crypto::Prng prng = crypto::Prng::FromTestSeed(kSeed + 1);
          return OtExtensionReceiver(Params(Security::kMalicious, 512, 1, kk[1]))
              .Run(ch, choices, prng);
        });
    EXPECT_EQ(o.sender.status().code(), absl::StatusCode::kDataLoss) << o.sender.status();
  }
}

// Messages of one malicious Run with k = 4, n = 1000, chunk_blocks = 4:
//   receiver → sender: #0 base-OT point, #1 GGM corrections, #2 header,
//                      #3..#5 columns, #6 check
//   sender → receiver: #0 base-OT pairs, #1 check seed
constexpr FaultCase kSoftSpokenFaults[] = {
    {false, 1, "GGM corrections"}, {false, 3, "first column chunk"},
    {false, 5, "last column chunk"}, {false, 6, "check answer"},
    {true, 0, "base-OT pairs"}, {true, 1, "check seed"},
};

// ExpectNoSilentFailure: in malicious mode a damaged run either fails on
// the sender's side (DataLoss, or Unavailable when the peer hung up) or, if
// the damage did not matter (a GGM correction the sender does not open),
// succeeds with a correct correlation. Never a wrong result.
void ExpectNoSilentFailure(const FaultRun& run) {
  if (run.sender.ok()) {
    ASSERT_TRUE(run.receiver.ok()) << run.receiver.status();
    ExpectCorrelation(run.sender->delta.value(), run.sender->q, run.choices, *run.receiver);
  } else {
    EXPECT_TRUE(IsDataLossOrUnavailable(run.sender.status())) << run.sender.status();
  }
  if (!run.receiver.ok()) {
    EXPECT_TRUE(IsDataLossOrUnavailable(run.receiver.status())) << run.receiver.status();
  }
}

TEST(SoftSpokenFaultTest, MaliciousSenderNeverAcceptsDamage) {
  for (const FaultCase& c : kSoftSpokenFaults) {
    for (Fault::Kind kind : testing::AllFaultKinds()) {
      for (size_t byte : {size_t{40}, size_t{100}}) {
        Fault fault;
        fault.kind = kind;
        fault.direction = Fault::kSend;
        fault.message_index = c.index;
        fault.byte_index = byte;
        SCOPED_TRACE(fault.DebugString() + " byte " + std::to_string(byte) + " (" + c.what + ")");
        ExpectNoSilentFailure(RunWithFault(Security::kMalicious, c, fault, /*k=*/4));
      }
    }
  }
}

TEST(SoftSpokenFaultTest, GarbledGgmCorrectionsAreCaughtByTheCheck) {
  Fault fault;
  fault.kind = Fault::kGarbage;
  fault.message_index = 1;
  FaultRun run = RunWithFault(Security::kMalicious, {false, 1, "GGM corrections"}, fault, 4);
  EXPECT_EQ(run.sender.status().code(), absl::StatusCode::kDataLoss) << run.sender.status();
  EXPECT_TRUE(run.receiver.ok()) << run.receiver.status();
}

}  // namespace
}  // namespace liaison::ot
