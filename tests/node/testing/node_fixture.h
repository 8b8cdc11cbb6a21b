// NodeFixture: a node identity, a store and its audit log in a temporary
// directory, for tests of node/ components that write to both.
#ifndef LIAISON_TESTS_NODE_TESTING_NODE_FIXTURE_H_
#define LIAISON_TESTS_NODE_TESTING_NODE_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "net/identity.h"
#include "node/audit.h"
#include "node/store.h"
#include "testing/temp_dir.h"

namespace liaison::node::testing {

class NodeFixture {
 public:
  NodeFixture() {
    EXPECT_TRUE(net::GenerateIdentity(tmp_.Sub("node")).ok());
    auto id = net::Identity::Load(tmp_.Sub("node"));
    EXPECT_TRUE(id.ok()) << id.status();
    identity_ = std::make_unique<net::Identity>(std::move(*id));
    Store::Options options;
    options.create = true;
    OpenStore(options);
  }

  // Reopen closes the store and opens it again, as a restarted node does.
  // Components holding the old store or log must be gone.
  void Reopen() {
    audit_.reset();
    store_.reset();
    OpenStore({});
  }

  // NewJob creates a queued job with `peer` in `alliance` asking
  // `question`, and returns its id (for tables that reference jobs).
  std::string NewJob(const std::string& alliance, const std::string& peer,
                     const std::string& question) {
    JobRequest r;
    r.alliance = alliance;
    r.peer = peer;
    r.question = question;
    r.protocol = "rr22";
    r.actor = "cli";
    auto j = store_->CreateJob(r);
    EXPECT_TRUE(j.ok()) << j.status();
    return j.ok() ? j->job.id : "";
  }

  Store& store() { return *store_; }
  AuditLog& audit() { return *audit_; }
  const std::string& dir() const { return tmp_.path(); }
  std::string Sub(const std::string& name) const { return tmp_.Sub(name); }

  // Records returns the audit records of `kind`, in order; the whole chain
  // must verify.
  std::vector<AuditRecord> Records(std::string_view kind) {
    std::vector<AuditRecord> out;
    EXPECT_TRUE(ForEachAuditRecord(*store_, [&](const AuditRecord& r) {
                  if (r.kind == kind) out.push_back(r);
                  return absl::OkStatus();
                }).ok());
    auto verified = VerifyAuditLog(*store_, identity_->public_key());
    EXPECT_TRUE(verified.ok() || out.empty()) << verified.status();
    return out;
  }

 private:
  void OpenStore(const Store::Options& options) {
    auto store = Store::Open(tmp_.Sub("node.db"), options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    audit_ = std::make_unique<AuditLog>(*store_, *identity_);
  }

  liaison::testing::ScopedTempDir tmp_;
  std::unique_ptr<net::Identity> identity_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditLog> audit_;
};

}  // namespace liaison::node::testing

#endif  // LIAISON_TESTS_NODE_TESTING_NODE_FIXTURE_H_
