// The purge of retired copies decides from what every online agent reports:
// a copy goes only while its guest runs on another online host. The agents
// here are a scripted stand-in for the AgentClient (facts and purges of a
// few hosts); the purge against real agents and QEMU guests is in
// tests/integration/cutover_test.cc (CutoverBackTest).
#include "orchestrator/cutover/purge_retired.h"

#include <gtest/gtest.h>

#include <map>

namespace drover::cutover {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1'800'000'000;

class FakeCluster : public daemon::AgentClient {
 public:
  struct FakeHost {
    bool online = true;
    json volumes = json::array();  // facts.volumes
    json guests = json::array();   // facts.guests
    bool purge_fails = false;
  };
  std::map<std::string, FakeHost> hosts;
  std::vector<std::string> purges;  // "host:volume"
  int facts_asked = 0;

  void Retired(const std::string& host, const std::string& volume, int64_t age_s,
               const std::string& guest, uint64_t used = 1 << 20) {
    json v = {{"name", volume},  {"size_bytes", used},         {"used_bytes", used},
              {"retired", true}, {"retired_at", kNow - age_s}, {"retired_reason", "moved"}};
    if (!guest.empty()) v["retired_guest"] = guest;
    hosts[host].volumes.push_back(v);
  }
  void Runs(const std::string& host, const std::string& guest, const std::string& state) {
    hosts[host].guests.push_back({{"name", guest}, {"state", state}});
    hosts[host].volumes.push_back({{"name", guest + "-disk"}, {"used_bytes", 1}});
  }

  Result<json> Call(const std::string& host, const std::string& type, json body,
                    std::chrono::milliseconds) override {
    FakeHost& h = hosts.at(host);
    if (!h.online) return Err(Unavailable("host " + host + " is unreachable"));
    if (type == "agent.facts") {
      ++facts_asked;
      return json{{"facts", {{"volumes", h.volumes}, {"guests", h.guests}}}};
    }
    if (type == "agent.volume.purge") {
      if (h.purge_fails) return Err(IoError("cannot remove " + body["volume"].get<std::string>()));
      purges.push_back(host + ":" + body["volume"].get<std::string>());
      return json{{"purged", body["volume"]}};
    }
    return Err(InvalidArgument("unexpected " + type));
  }
  Result<daemon::HostView> Host(const std::string& host) override {
    auto it = hosts.find(host);
    if (it == hosts.end()) return Err(NotFound("host '" + host + "' is not known"));
    return daemon::HostView{host, "key", it->second.online, json::object()};
  }
  Result<std::vector<daemon::HostView>> Hosts() override {
    std::vector<daemon::HostView> all;
    for (const auto& [name, h] : hosts) all.push_back({name, "key", h.online, json::object()});
    return all;
  }
  Result<json> Sync(const daemon::SyncRequest&, const std::function<void(const json&)>&,
                    const std::atomic<bool>*) override {
    return Err(Unavailable("no syncs here"));
  }
};

PurgeRequest On(const std::string& host) {
  PurgeRequest r;
  r.host = host;
  return r;
}

std::vector<std::string> Names(const json& list) {
  std::vector<std::string> names;
  for (const auto& e : list) names.push_back(e.value("volume", ""));
  return names;
}

TEST(PurgeRetiredTest, ACopyGoesWhenItsGuestRunsOnAnotherOnlineHost) {
  FakeCluster c;
  c.Retired("h1", "vm1-disk", 3600, "vm1", 5 << 20);
  c.Runs("h2", "vm1", "running");
  auto r = RunPurge(On("h1"), c, nullptr, kNow);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(c.purges, std::vector<std::string>{"h1:vm1-disk"});
  ASSERT_EQ((*r)["purged"].size(), 1u) << r->dump();
  EXPECT_EQ((*r)["purged"][0]["guest_runs_on"], "h2");
  EXPECT_EQ((*r)["freed_bytes"], 5u << 20);
  EXPECT_TRUE((*r)["kept"].empty());
}

TEST(PurgeRetiredTest, APossiblyLastCopyStaysUnlessForced) {
  FakeCluster c;
  c.Retired("h1", "vm1-disk", 3600, "vm1");  // vm1's new host h2 is down
  c.Retired("h1", "vm2-disk", 3600, "vm2");  // vm2 is stopped on h3
  c.Retired("h1", "old-disk", 3600, "");     // a record from before guests were noted
  c.Runs("h2", "vm1", "running");
  c.hosts["h2"].online = false;
  c.Runs("h3", "vm2", "shutoff");
  auto r = RunPurge(On("h1"), c, nullptr, kNow);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_TRUE(c.purges.empty());
  EXPECT_EQ(Names((*r)["kept"]), (std::vector<std::string>{"old-disk", "vm1-disk", "vm2-disk"}));
  EXPECT_NE((*r)["kept"][0]["why"].get<std::string>().find("names no guest"), std::string::npos);
  EXPECT_NE((*r)["kept"][1]["why"].get<std::string>().find("last copy"), std::string::npos);

  PurgeRequest forced = On("h1");
  forced.force = true;
  r = RunPurge(forced, c, nullptr, kNow);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(c.purges.size(), 3u);
}

TEST(PurgeRetiredTest, OnlyNamedRetiredAndOldEnoughCopiesGoAndADryRunRemovesNothing) {
  FakeCluster c;
  c.Retired("h1", "a-disk", 7200, "a");
  c.Retired("h1", "b-disk", 60, "b");
  c.Retired("h1", "c-disk", 7200, "c");
  c.Runs("h1", "d", "running");  // d-disk: a guest's disk here, not retired
  for (const char* g : {"a", "b", "c"}) c.Runs("h2", g, "running");

  PurgeRequest r = On("h1");
  r.volumes = {"a-disk", "b-disk", "d-disk", "nothing"};
  r.older_than_s = 3600;
  r.dry_run = true;
  auto done = RunPurge(r, c, nullptr, kNow);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  EXPECT_TRUE(c.purges.empty()) << "a dry run";
  EXPECT_EQ(Names((*done)["purged"]), std::vector<std::string>{"a-disk"});
  EXPECT_EQ(Names((*done)["kept"]), (std::vector<std::string>{"d-disk", "nothing", "b-disk"}));
  EXPECT_NE(done->dump().find("not a retired copy on h1"), std::string::npos);
  EXPECT_NE(done->dump().find("retired 60 s ago, less than 3600 s"), std::string::npos);

  r.dry_run = false;
  done = RunPurge(r, c, nullptr, kNow);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  EXPECT_EQ(c.purges, std::vector<std::string>{"h1:a-disk"}) << "c-disk was not named";
}

TEST(PurgeRetiredTest, AnAgentThatRefusesKeepsItsCopyAndAnUnreachableHostIsAnError) {
  FakeCluster c;
  c.Retired("h1", "vm1-disk", 3600, "vm1");
  c.Runs("h2", "vm1", "running");
  c.hosts["h1"].purge_fails = true;
  auto r = RunPurge(On("h1"), c, nullptr, kNow);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(Names((*r)["kept"]), std::vector<std::string>{"vm1-disk"});
  EXPECT_NE((*r)["kept"][0]["why"].get<std::string>().find("cannot remove vm1-disk"),
            std::string::npos);
  EXPECT_EQ((*r)["freed_bytes"], 0u);

  c.hosts["h1"].online = false;
  r = RunPurge(On("h1"), c, nullptr, kNow);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Code::kUnavailable);
  EXPECT_EQ(RunPurge(On("h9"), c, nullptr, kNow).error().code(), Code::kNotFound);
}

TEST(PurgeRetiredTest, TheSweepTakesOnlyOldCopiesOfGuestsThatRunElsewhereOnEveryHost) {
  FakeCluster c;
  c.Retired("h1", "a-disk", 90000, "a");
  c.Retired("h1", "b-disk", 600, "b");
  c.Retired("h2", "c-disk", 90000, "c");
  c.Retired("h2", "x-disk", 90000, "x");  // x runs nowhere
  c.Runs("h3", "a", "running");
  c.Runs("h3", "b", "running");
  c.Runs("h1", "c", "running");
  EXPECT_EQ(SweepRetired(c, 86400, kNow), 2);
  EXPECT_EQ(c.purges, (std::vector<std::string>{"h1:a-disk", "h2:c-disk"}));
  // What runs where is asked once per sweep, not once per host.
  EXPECT_EQ(c.facts_asked, 6) << "two questions per host";
}

TEST(PurgeRetiredTest, BadRequestsAreRefusedNamingTheField) {
  for (const auto& [body, field] : std::vector<std::pair<json, std::string>>{
           {json::object(), "host"},
           {{{"host", ""}}, "host"},
           {{{"host", "h1"}, {"volumes", "a"}}, "volumes"},
           {{{"host", "h1"}, {"volumes", {"a", 3}}}, "volumes"},
           {{{"host", "h1"}, {"older_than_s", -1}}, "older_than_s"},
           {{{"host", "h1"}, {"older_than_s", 1.5}}, "older_than_s"},
           {{{"host", "h1"}, {"force", "yes"}}, "force"},
           {{{"host", "h1"}, {"dry_run", 1}}, "dry_run"}}) {
    auto r = ParsePurge(body);
    ASSERT_FALSE(r.has_value()) << body.dump();
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
    EXPECT_NE(r.error().message().find(field), std::string::npos) << r.error().ToString();
  }
  auto ok = ParsePurge({{"host", "h1"}, {"volumes", {"a"}}, {"older_than_s", 0}, {"force", true}});
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
  EXPECT_EQ(ok->volumes, std::vector<std::string>{"a"});
  EXPECT_EQ(ok->older_than_s, 0);
  EXPECT_TRUE(ok->force);
  EXPECT_FALSE(ok->dry_run);
}

}  // namespace
}  // namespace drover::cutover
