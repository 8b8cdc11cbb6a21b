#include "node/home.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/identity.h"
#include "node/audit.h"
#include "node/config.h"
#include "node/store.h"
#include "testing/temp_dir.h"

namespace liaison::node {
namespace {

using liaison::testing::ScopedTempDir;

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(HomeTest, InitCreatesIdentityConfigAndStore) {
  ScopedTempDir tmp;
  const std::string dir = tmp.Sub("homes/alpha");
  auto r = InitHome(dir, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ModeOf(dir), 0700u);
  EXPECT_EQ(ModeOf(dir + "/node.key"), 0600u);
  EXPECT_EQ(ModeOf(dir + "/liaison.toml"), 0600u);
  EXPECT_EQ(ModeOf(dir + "/node.db"), 0600u);

  auto id = net::Identity::Load(dir);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->fingerprint(), r->fingerprint);

  auto config = LoadConfig(r->config_path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->node.name, "alpha");  // from the directory's name

  auto store = Store::Open(r->store_path, {});
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<AuditRecord> records;
  auto v = VerifyAuditLog(**store, id->public_key());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->num_records, 1u);
  ASSERT_TRUE(ForEachAuditRecord(**store, [&](const AuditRecord& rec) {
                records.push_back(rec);
                return absl::OkStatus();
              }).ok());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].kind, "node_initialized");
  EXPECT_EQ(records[0].actor, "cli");
  EXPECT_THAT(records[0].params_json, ::testing::HasSubstr(r->fingerprint));
}

TEST(HomeTest, SecondInitIsAlreadyExistsAndChangesNothing) {
  ScopedTempDir tmp;
  const std::string dir = tmp.Sub("alpha");
  InitOptions options;
  options.name = "first";
  ASSERT_TRUE(InitHome(dir, options).ok());
  const std::string config = ReadAll(dir + "/liaison.toml");
  const std::string key = ReadAll(dir + "/node.key");
  options.name = "second";
  auto again = InitHome(dir, options);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(again.status().message()), ::testing::HasSubstr("already holds"));
  EXPECT_EQ(ReadAll(dir + "/liaison.toml"), config);
  EXPECT_EQ(ReadAll(dir + "/node.key"), key);
}

TEST(HomeTest, InitRefusesADirectoryWithAnIdentity) {
  ScopedTempDir tmp;
  const std::string dir = tmp.Sub("alpha");
  ASSERT_TRUE(net::GenerateIdentity(dir).ok());
  EXPECT_EQ(InitHome(dir, {}).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST(HomeTest, InvalidNameIsRefusedBeforeAnythingIsWritten) {
  ScopedTempDir tmp;
  InitOptions options;
  options.name = "no spaces please";
  EXPECT_EQ(InitHome(tmp.Sub("alpha"), options).status().code(),
            absl::StatusCode::kInvalidArgument);
  struct stat st;
  EXPECT_NE(stat(tmp.Sub("alpha").c_str(), &st), 0);
}

}  // namespace
}  // namespace liaison::node
