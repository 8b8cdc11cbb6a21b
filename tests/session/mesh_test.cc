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

// RunWithImpostor runs a mesh of two members, alpha and bravo, in which the
// member at index `impostor` holds mallory's key and a parties list pinning
// it for itself, while the other member pins the real key; each member on
// its own thread. `honest_view` receives the honest member's list.
std::vector<absl::StatusOr<Mesh>> RunWithImpostor(int impostor, const MeshOptions& options,
                                                  std::vector<Party>* honest_view) {
  Members m({"alpha", "bravo", "mallory"});
  const std::vector<Party> honest = {m.parties()[0], m.parties()[1]};
  std::vector<Party> forged = honest;
  forged[impostor].fingerprint = m.parties()[2].fingerprint;
  *honest_view = honest;
  std::vector<absl::StatusOr<Mesh>> out = NotRun(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      out[i] = i == impostor ? ConnectMesh(forged, i, m.identity(2), options)
                             : ConnectMesh(honest, i, m.identity(i), options);
    });
  }
  for (std::thread& t : threads) t.join();
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
  // A member that goes is named in the errors of the channels to it.
  (*meshes[2])[0]->Close();
  absl::StatusOr<Bytes> gone = (*meshes[0])[2]->Recv();
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(gone.status().message(),
              HasSubstr("member charlie (" + m.parties()[2].address + "): "));
}

TEST(MeshTest, MemberWithAnotherKeyThanThePinnedOneIsRefused) {
  // The member dialling alpha as "bravo" holds mallory's key.
  MeshOptions options;
  options.setup_timeout = absl::Seconds(3);
  std::atomic<int> refused{0};
  options.on_refused = [&](std::string_view reason) {
    EXPECT_THAT(std::string(reason), HasSubstr("refused a connection from 127.0.0.1:"));
    ++refused;
  };
  std::vector<Party> alphas;
  std::vector<absl::StatusOr<Mesh>> meshes = RunWithImpostor(1, options, &alphas);
  EXPECT_EQ(meshes[0].status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(meshes[0].status().message(),
              HasSubstr("no connection with member bravo (" + alphas[1].address + ")"));
  EXPECT_THAT(meshes[0].status().message(), HasSubstr("last refused a connection"));
  EXPECT_GE(refused.load(), 1);
  EXPECT_EQ(meshes[1].status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(meshes[1].status().message(), HasSubstr("member alpha"));
}

TEST(MeshTest, DialledMemberWithAnotherKeyIsRefused) {
  // bravo pins alpha's key, but mallory listens at alpha's address.
  MeshOptions options;
  options.setup_timeout = absl::Seconds(3);
  std::vector<Party> bravos;
  std::vector<absl::StatusOr<Mesh>> meshes = RunWithImpostor(0, options, &bravos);
  EXPECT_EQ(meshes[1].status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(meshes[1].status().message(), HasSubstr("member alpha (" + bravos[0].address));
  EXPECT_FALSE(meshes[0].ok());
}

TEST(MeshTest, MissingMemberIsDeadlineExceededNamingIt) {
  Members m({"alpha", "bravo", "charlie"});
  MeshOptions options;
  options.setup_timeout = absl::Seconds(2);
  // charlie never starts.
  std::vector<absl::StatusOr<Mesh>> meshes = NotRun(2);
  std::thread alpha([&] { meshes[0] = ConnectMesh(m.parties(), 0, m.identity(0), options); });
  std::thread bravo([&] { meshes[1] = ConnectMesh(m.parties(), 1, m.identity(1), options); });
  alpha.join();
  bravo.join();
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
