// The run journal on a real SQLite file: transitions land in order, survive
// reopening, and runs left running are found interrupted.
#include "orchestrator/executor/run_journal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace drover::executor {
namespace {

class RunJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto j = RunJournal::Open(path_);
    ASSERT_TRUE(j) << j.error().ToString();
    journal_ = std::move(*j);
  }
  void TearDown() override {
    journal_.reset();
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  nlohmann::json Plan() { return {{"steps", {{{"id", "s1"}}, {{"id", "s2"}}}}}; }
  std::string path_ = ::testing::TempDir() + "/drover-journal-" + std::to_string(getpid()) + ".db";
  std::unique_ptr<RunJournal> journal_;
};

TEST_F(RunJournalTest, RecordsStepsAndTransitionsInOrder) {
  ASSERT_TRUE(journal_->CreateRun("r-1", Plan()).ok());
  ASSERT_TRUE(journal_->StepStarted("r-1", "s1").ok());
  ASSERT_TRUE(journal_->StepPhase("r-1", "s1", "full sync", {{"bytes", 0}}).ok());
  ASSERT_TRUE(journal_->StepDone("r-1", "s1", {{"downtime_ms", 42}}).ok());
  ASSERT_TRUE(journal_->StepStarted("r-1", "s2").ok());
  ASSERT_TRUE(journal_->StepFailed("r-1", "s2", "failed", "no space").ok());
  ASSERT_TRUE(journal_->SetRunState("r-1", "failed", "1 of 2 steps failed").ok());

  auto r = journal_->Load("r-1");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->state, "failed");
  ASSERT_EQ(r->steps.size(), 2u);
  EXPECT_EQ(r->steps[0].state, "done");
  EXPECT_EQ(r->steps[0].phase, "full sync");
  EXPECT_EQ(r->steps[0].attempts, 1);
  EXPECT_EQ(r->steps[0].result["downtime_ms"], 42);
  EXPECT_EQ(r->steps[1].state, "failed");
  EXPECT_EQ(r->steps[1].error, "no space");

  auto e = journal_->Entries("r-1");
  ASSERT_TRUE(e);
  std::vector<std::string> events;
  for (const auto& x : *e) events.push_back(x.step + ":" + x.event);
  EXPECT_EQ(events, (std::vector<std::string>{":run created", "s1:step started",
                                              "s1:phase full sync", "s1:step done",
                                              "s2:step started", "s2:step failed", ":run failed"}));
}

// A recovery reads what the last phase was journaled with (a cold move's
// "was_running"), not an earlier phase's, nor another step's.
TEST_F(RunJournalTest, TheLastPhasesDetailIsLoadedWithItsStep) {
  ASSERT_TRUE(journal_->CreateRun("r-2", Plan()).ok());
  ASSERT_TRUE(journal_->StepStarted("r-2", "s1").ok());
  ASSERT_TRUE(journal_->StepPhase("r-2", "s1", "stop", {{"was_running", true}}).ok());
  ASSERT_TRUE(journal_->StepStarted("r-2", "s2").ok());
  ASSERT_TRUE(journal_->StepPhase("r-2", "s2", "stop", {{"was_running", true}}).ok());
  ASSERT_TRUE(journal_->StepPhase("r-2", "s1", "sync", {{"was_running", false}}).ok());
  auto r = journal_->Load("r-2");
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->steps.size(), 2u);
  EXPECT_EQ(r->steps[0].phase, "sync");
  EXPECT_EQ(r->steps[0].phase_detail, (nlohmann::json{{"was_running", false}}));
  EXPECT_EQ(r->steps[1].phase_detail, (nlohmann::json{{"was_running", true}}));

  ASSERT_TRUE(journal_->CreateRun("r-3", Plan()).ok());
  auto fresh = journal_->Load("r-3");
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(fresh->steps[0].phase_detail.is_null());
}

TEST_F(RunJournalTest, RunsLeftRunningAreInterruptedAfterAReopen) {
  ASSERT_TRUE(journal_->CreateRun("r-1", Plan()).ok());
  ASSERT_TRUE(journal_->CreateRun("r-2", Plan()).ok());
  ASSERT_TRUE(journal_->SetRunState("r-2", "done").ok());
  ASSERT_TRUE(journal_->StepStarted("r-1", "s1").ok());
  ASSERT_TRUE(journal_->StepPhase("r-1", "s1", "memory").ok());
  journal_.reset();

  auto again = RunJournal::Open(path_);
  ASSERT_TRUE(again);
  auto marked = (*again)->MarkInterrupted();
  ASSERT_TRUE(marked);
  EXPECT_EQ(*marked, std::vector<std::string>{"r-1"});
  auto r = (*again)->Load("r-1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, "interrupted");
  EXPECT_EQ(r->steps[0].state, "running");  // recovery reads it with its phase
  EXPECT_EQ(r->steps[0].phase, "memory");
  auto list = (*again)->List();
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 2u);
}

TEST_F(RunJournalTest, UnknownRunIsNotFoundAndDuplicateIdsAreRefused) {
  auto r = journal_->Load("r-none");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kNotFound);
  ASSERT_TRUE(journal_->CreateRun("r-1", Plan()).ok());
  EXPECT_FALSE(journal_->CreateRun("r-1", Plan()).ok());
  // The failed second create left nothing behind.
  auto e = journal_->Entries("r-1");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->size(), 1u);
}

}  // namespace
}  // namespace drover::executor
