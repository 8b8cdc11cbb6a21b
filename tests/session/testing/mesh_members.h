// MeshMembers: n members with real identities and a parties list on free
// loopback ports, for tests that set up the TLS mesh (session/mesh.h) in
// one process, one thread per member.
#ifndef LIAISON_TESTS_SESSION_TESTING_MESH_MEMBERS_H_
#define LIAISON_TESTS_SESSION_TESTING_MESH_MEMBERS_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "gtest/gtest.h"
#include "net/identity.h"
#include "session/parties.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace liaison::testing {

class MeshMembers {
 public:
  // MeshMembers makes one identity per name, in a temporary directory, and
  // lists the members in that order, each on a loopback port nothing
  // listens on.
  explicit MeshMembers(const std::vector<std::string>& names) {
    for (const std::string& name : names) {
      absl::StatusOr<std::string> fp = net::GenerateIdentity(tmp_.Sub(name));
      EXPECT_TRUE(fp.ok()) << fp.status();
      absl::StatusOr<net::Identity> id = net::Identity::Load(tmp_.Sub(name));
      EXPECT_TRUE(id.ok()) << id.status();
      identities_.push_back(std::make_unique<net::Identity>(*std::move(id)));
      session::Party p;
      p.name = name;
      p.host_port = {"127.0.0.1", FreePort()};
      p.address = StrCat("127.0.0.1:", p.host_port.port);
      p.fingerprint = *fp;
      p.line = static_cast<int>(parties_.size()) + 1;
      parties_.push_back(p);
    }
  }
  const std::vector<session::Party>& parties() const { return parties_; }
  const net::Identity& identity(int i) const { return *identities_[i]; }
  // dir is a scratch directory that lives as long as the members.
  const ScopedTempDir& dir() const { return tmp_; }

 private:
  ScopedTempDir tmp_;
  std::vector<std::unique_ptr<net::Identity>> identities_;
  std::vector<session::Party> parties_;
};

}  // namespace liaison::testing

#endif  // LIAISON_TESTS_SESSION_TESTING_MESH_MEMBERS_H_
