// End-to-end tests of the node's REST API against clients that misbehave
// or err: a node as a real process on loopback, called over HTTPS by
// well-behaved clients and by raw TLS clients that dribble, stall or send
// bodies nobody asked for.
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "cli/testing/node_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/raw_tls.h"
#include "testing/temp_dir.h"

namespace liaison {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::RawTlsClient;
using testing::ScopedTempDir;
using namespace node_e2e;  // NOLINT: the cluster, its nodes and helpers

// Raw sends `request` on a new raw TLS connection and returns what comes
// back until the server closes or goes quiet.
std::string Raw(const Node& n, const std::string& request) {
  RawTlsClient c("127.0.0.1", n.rest_port, nullptr, /*tls13_only=*/false,
                 /*read_timeout_seconds=*/5);
  EXPECT_TRUE(c.handshake_ok());
  EXPECT_TRUE(c.Write(request));
  std::string got;
  for (std::string more = c.ReadSome(); !more.empty(); more = c.ReadSome()) got += more;
  return got;
}

Json ErrorOf(const Reply& r) {
  EXPECT_TRUE(r.json.is_object()) << "not JSON: " << r.body;
  if (!r.json.is_object() || !r.json.contains("error")) return Json::object();
  return r.json["error"];
}

class NodeRestE2eTest : public ::testing::Test {
 protected:
  NodeRestE2eTest() : cl_(tmp_), a_(cl_.Add("a")) {
    cl_.Configure("a", "");
    cl_.Start("a");
  }
  ~NodeRestE2eTest() override { cl_.Stop("a"); }

  ScopedTempDir tmp_;
  Cluster cl_;
  Node& a_;
};

TEST_F(NodeRestE2eTest, EveryErrorIsJsonAndTheKeyIsCheckedFirst) {
  // Without a key: 401 on any path, before anything else is looked at.
  for (const char* path : {"/v1/jobs/j1/cancel", "/v1/nowhere", "/v1/apikeys/k/revoke"}) {
    Reply r = a_.Call("POST", path, "");
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_EQ(ErrorOf(r).value("code", ""), "UNAUTHENTICATED") << r.body;
  }
  // With one: an unknown path is a JSON 404 naming it; a known path with
  // another method is 405 with the methods it takes.
  Reply missing = a_.Call("GET", "/v1/nowhere", a_.analyst_key);
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(ErrorOf(missing).value("message", ""), HasSubstr("/v1/nowhere"));
  Reply wrong = a_.Call("POST", "/v1/offers", a_.analyst_key);
  EXPECT_EQ(wrong.status, 405);
  EXPECT_THAT(ErrorOf(wrong).value("message", ""), HasSubstr("GET"));
  // An endpoint that takes no body accepts an empty one, refuses another.
  Reply no_job = a_.Call("POST", "/v1/jobs/j1/cancel", a_.automation_key);
  EXPECT_EQ(no_job.status, 404) << no_job.body;
  Reply with_body = a_.Call("POST", "/v1/jobs/j1/cancel", a_.automation_key, "{}");
  EXPECT_EQ(with_body.status, 400);
  EXPECT_THAT(ErrorOf(with_body).value("message", ""), HasSubstr("takes no request body"));
}

TEST_F(NodeRestE2eTest, AMalformedBodyIsRefusedWithItsPosition) {
  Reply r = a_.Call("POST", "/v1/jobs", a_.automation_key,
                    "{\"alliance\": \"fin\",\n \"peer\": ,\n \"dataset\": \"ind\"}");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorOf(r).value("message", ""), HasSubstr("line 2, column 10"));
  Reply empty = a_.Call("POST", "/v1/jobs", a_.automation_key, "");
  EXPECT_EQ(empty.status, 400);
  EXPECT_THAT(ErrorOf(empty).value("message", ""), HasSubstr("empty"));
}

TEST_F(NodeRestE2eTest, AnUnauthenticatedUploadIsAnsweredFromItsHeadAlone) {
  // A chunked body without a key: answered 401 from the head, and the
  // connection is closed instead of the body being read.
  RawTlsClient c("127.0.0.1", a_.rest_port, nullptr, false, 5);
  ASSERT_TRUE(c.handshake_ok());
  ASSERT_TRUE(c.Write("POST /v1/jobs HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"));
  std::string got = c.ReadSome();
  EXPECT_THAT(got, StartsWith("HTTP/1.1 401"));
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
  int sent = 0;
  while (sent < 1000 && c.Write(chunk)) ++sent;  // at most 64 MiB
  EXPECT_LT(sent, 1000) << "the node kept reading a body it had refused";
  // With a key, a body over the limit is refused in either encoding.
  std::string big = Raw(a_, "POST /v1/jobs HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " +
                                a_.automation_key +
                                "\r\nContent-Length: 100000000\r\n\r\n");
  EXPECT_THAT(big, StartsWith("HTTP/1.1 413"));
  EXPECT_EQ(a_.Call("GET", "/v1/health", "").status, 200);
}

TEST_F(NodeRestE2eTest, SlowAndIdleClientsDoNotStarveOthers) {
  // 100 connections that handshake and then send a head one byte a second
  // (the old server gave its 8 threads to the first of them).
  std::vector<std::unique_ptr<RawTlsClient>> slow;
  for (int i = 0; i < 100; ++i) {
    slow.push_back(std::make_unique<RawTlsClient>("127.0.0.1", a_.rest_port, nullptr, false, 5));
  }
  std::atomic<bool> done{false};
  std::thread dribbler([&] {
    const std::string head = "GET /v1/health HTTP/1.1\r\nHost: a\r\nX-Slow: aaaaaaaaaaaa";
    for (size_t i = 0; i < head.size() && !done; ++i) {
      for (auto& c : slow) c->Write(head.substr(i, 1));
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  });
  // Meanwhile others are served: a new connection each time, with a short
  // read timeout (an answer at all, not a speed).
  for (int i = 0; i < 10; ++i) {
    httplib::SSLClient cli("127.0.0.1", a_.rest_port);
    cli.enable_server_certificate_verification(false);
    cli.set_connection_timeout(3, 0);
    cli.set_read_timeout(3, 0);
    httplib::Result r = cli.Get("/v1/health");
    ASSERT_TRUE(r) << "health check " << i << " got no answer";
    EXPECT_EQ(r->status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  done = true;
  dribbler.join();
}

TEST_F(NodeRestE2eTest, KeepAliveServesManyRequestsOnOneConnection) {
  httplib::SSLClient cli("127.0.0.1", a_.rest_port);
  cli.enable_server_certificate_verification(false);
  cli.set_keep_alive(true);
  httplib::Headers key = {{"Authorization", "Bearer " + a_.analyst_key}};
  for (int i = 0; i < 200; ++i) {
    httplib::Result r = cli.Get("/v1/offers", key);
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r->status, 200) << i;
  }
}

}  // namespace
}  // namespace liaison
