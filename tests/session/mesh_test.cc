#include "session/mesh.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/identity.h"
#include "session/testing/mesh_members.h"

namespace liaison::session {
namespace {

using ::testing::HasSubstr;
using Mesh = std::vector<std::unique_ptr<net::Channel>>;

using Members = testing::MeshMembers;

// NotRun is n results not set yet (a mesh cannot be copied).
std::vector<absl::StatusOr<Mesh>> NotRun(int n) {
  std::vector<absl::StatusOr<Mesh>> out;
  for (int i = 0; i < n; ++i) out.emplace_back(absl::UnknownError("not run"));
  return out;
}

// ConnectAll runs ConnectMesh for every member on its own thread, member i
// starting after delays_ms[i].
std::vector<absl::StatusOr<Mesh>> ConnectAll(const Members& m, const MeshOptions& options,
                                             const std::vector<int>& delays_ms) {
  const int n = static_cast<int>(m.parties().size());
  std::vector<absl::StatusOr<Mesh>> out = NotRun(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      std::this_thread::sleep_for(std::chrono::milliseconds(delays_ms[i]));
      out[i] = ConnectMesh(m.parties(), i, m.identity(i), options);
    });
  }
  for (std::thread& t : threads) t.join();
  return out;
}

// ConnectTwo runs members 0 and 1 on two threads, each with its own view of
// the parties and its own key (which may not be the one the others pin).
std::vector<absl::StatusOr<Mesh>> ConnectTwo(const std::vector<std::vector<Party>>& views,
                                             const std::vector<const net::Identity*>& keys,
                                             const MeshOptions& options) {
  std::vector<absl::StatusOr<Mesh>> out = NotRun(2);
  std::thread first([&] { out[0] = ConnectMesh(views[0], 0, *keys[0], options); });
  std::thread second([&] { out[1] = ConnectMesh(views[1], 1, *keys[1], options); });
  first.join();
  second.join();
  return out;
}

TEST(MeshTest, ThreeMembersStartedInAnyOrderGetAFullPinnedMesh) {
  Members m({"alpha", "bravo", "charlie"});
  MeshOptions options;
  options.setup_timeout = absl::Seconds(30);
  // The leader, which only listens, starts last: the others keep dialling.
  std::vector<absl::StatusOr<Mesh>> meshes = ConnectAll(m, options, {800, 300, 0});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(meshes[i].ok()) << i << ": " << meshes[i].status();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(meshes[i]->size(), 3u);
    EXPECT_EQ((*meshes[i])[i], nullptr);
    for (int j = 0; j < 3; ++j) {
      if (j != i) {
        ASSERT_NE((*meshes[i])[j], nullptr) << i << " -> " << j;
      }
    }
  }
  // Each channel reaches the member it is indexed by.
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      if (i == j) continue;
      ASSERT_TRUE((*meshes[i])[j]->Send(AsBytes(StrCat(i, "->", j))).ok());
    }
  }
  for (int j = 0; j < 3; ++j) {
    for (int i = 0; i < 3; ++i) {
      if (i == j) continue;
      absl::StatusOr<Bytes> got = (*meshes[j])[i]->Recv();
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(AsStringView(*got), StrCat(i, "->", j));
    }
  }
}

TEST(MeshTest, MemberWithAnotherKeyThanThePinnedOneIsRefused) {
  Members m({"alpha", "bravo", "mallory"});
  // alpha pins bravo's key; the member dialling as "bravo" holds mallory's.
  std::vector<Party> alphas = {m.parties()[0], m.parties()[1]};
  std::vector<Party> impostors = alphas;
  impostors[1].fingerprint = m.parties()[2].fingerprint;
  MeshOptions options;
  options.setup_timeout = absl::Seconds(3);
  std::atomic<int> refused{0};
  options.on_refused = [&](std::string_view reason) {
    EXPECT_THAT(std::string(reason), HasSubstr("refused a connection from 127.0.0.1:"));
    ++refused;
  };
  std::vector<absl::StatusOr<Mesh>> meshes =
      ConnectTwo({alphas, impostors}, {&m.identity(0), &m.identity(2)}, options);
  EXPECT_EQ(meshes[0].status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(meshes[0].status().message(),
              HasSubstr("no connection with member bravo (" + alphas[1].address + ")"));
  EXPECT_THAT(meshes[0].status().message(), HasSubstr("last refused a connection"));
  EXPECT_GE(refused.load(), 1);
  EXPECT_EQ(meshes[1].status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(meshes[1].status().message(), HasSubstr("member alpha"));
}

TEST(MeshTest, DialledMemberWithAnotherKeyIsRefused) {
  Members m({"alpha", "bravo", "mallory"});
  // bravo pins alpha's key, but mallory listens at alpha's address.
  std::vector<Party> bravos = {m.parties()[0], m.parties()[1]};
  std::vector<Party> mallorys = bravos;
  mallorys[0].fingerprint = m.parties()[2].fingerprint;
  MeshOptions options;
  options.setup_timeout = absl::Seconds(3);
  std::vector<absl::StatusOr<Mesh>> meshes =
      ConnectTwo({mallorys, bravos}, {&m.identity(2), &m.identity(1)}, options);
  EXPECT_EQ(meshes[1].status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(meshes[1].status().message(), HasSubstr("member alpha (" + bravos[0].address));
  EXPECT_FALSE(meshes[0].ok());
}

TEST(MeshTest, MissingMemberIsDeadlineExceededNamingIt) {
  Members m({"alpha", "bravo", "charlie"});
  MeshOptions options;
  options.setup_timeout = absl::Seconds(2);
  // charlie never starts.
  std::vector<absl::StatusOr<Mesh>> meshes = ConnectTwo(
      {m.parties(), m.parties()}, {&m.identity(0), &m.identity(1)}, options);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(meshes[i].status().code(), absl::StatusCode::kDeadlineExceeded);
    EXPECT_THAT(meshes[i].status().message(), HasSubstr("no connection with member charlie"));
    EXPECT_THAT(meshes[i].status().message(), ::testing::Not(HasSubstr("member alpha")));
  }
}

TEST(MeshTest, OurKeyMustBeThePinnedOne) {
  Members m({"alpha", "bravo"});
  absl::StatusOr<Mesh> got = ConnectMesh(m.parties(), 0, m.identity(1));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ConnectMesh(m.parties(), 2, m.identity(0)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace liaison::session
