#include "telemetry/log.h"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace weft::telemetry {
namespace {

class CaptureSink : public LogSink {
 public:
  void Write(absl::string_view line) override { lines.emplace_back(line); }
  std::vector<std::string> lines;
};

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sink_ = std::make_shared<CaptureSink>();
    LogRegistry::SetSink(sink_);
    LogRegistry::SetFormat(LogFormat::kJson);
    LogRegistry::SetDefaultLevel(LogLevel::kInfo);
  }
  void TearDown() override {
    LogRegistry::SetSink(nullptr);
    LogRegistry::SetDefaultLevel(LogLevel::kInfo);
  }
  std::shared_ptr<CaptureSink> sink_;
};

TEST_F(LogTest, WritesOneJsonObjectWithContextAndFields) {
  Logger log("history");
  ScopedLogContext outer({{"namespace", "default"}, {"workflow_id", "wf \"1\"\n"}});
  {
    ScopedLogContext inner({{"run_id", "r1"}, {"request_id", ""}});
    log.Info("workflow task completed", {{"commands", 3}, {"ok", true}, {"ratio", 0.5}});
  }
  log.Warn("after");
  ASSERT_EQ(sink_->lines.size(), 2u);
  auto j = nlohmann::json::parse(sink_->lines[0]);
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["component"], "history");
  EXPECT_EQ(j["message"], "workflow task completed");
  EXPECT_EQ(j["namespace"], "default");
  EXPECT_EQ(j["workflow_id"], "wf \"1\"\n");
  EXPECT_EQ(j["run_id"], "r1");
  EXPECT_FALSE(j.contains("request_id")) << "empty context values are left out";
  EXPECT_EQ(j["commands"], 3);
  EXPECT_EQ(j["ok"], true);
  EXPECT_DOUBLE_EQ(j["ratio"].get<double>(), 0.5);
  EXPECT_TRUE(j["time"].get<std::string>().ends_with("Z"));
  auto j2 = nlohmann::json::parse(sink_->lines[1]);
  EXPECT_FALSE(j2.contains("run_id")) << "the inner scope ended";
  EXPECT_EQ(j2["namespace"], "default");
}

TEST_F(LogTest, LevelsChangeAtRunTimePerComponent) {
  Logger history("history");
  Logger matching("matching");
  history.Debug("hidden");
  EXPECT_TRUE(sink_->lines.empty());
  LogRegistry::SetLevel("history", LogLevel::kDebug);
  history.Debug("shown");
  matching.Debug("still hidden");
  ASSERT_EQ(sink_->lines.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(sink_->lines[0])["message"], "shown");

  Logger later("history");  // a logger made after the change takes the level too
  EXPECT_TRUE(later.Enabled(LogLevel::kDebug));

  ASSERT_TRUE(LogRegistry::Configure("warn,matching=error"));
  EXPECT_FALSE(history.Enabled(LogLevel::kInfo)) << "a new default clears component levels";
  EXPECT_TRUE(history.Enabled(LogLevel::kWarn));
  EXPECT_FALSE(matching.Enabled(LogLevel::kWarn));
  EXPECT_FALSE(LogRegistry::Configure("info,history=loud"));
  EXPECT_FALSE(history.Enabled(LogLevel::kInfo)) << "a bad spec changes nothing";
  auto levels = LogRegistry::ComponentLevels();
  ASSERT_EQ(levels.size(), 1u);
  EXPECT_EQ(levels[0].first, "matching");
}

TEST_F(LogTest, ExplicitFieldsWinOverContextAndReservedKeysAreKept) {
  Logger log("app");
  ScopedLogContext ctx({{"namespace", "outer"}});
  log.Error("boom", {{"namespace", "explicit"}, {"message", "ignored"}});
  auto j = nlohmann::json::parse(sink_->lines.at(0));
  EXPECT_EQ(j["namespace"], "explicit");
  EXPECT_EQ(j["message"], "boom");
}

TEST_F(LogTest, TextFormatIsOneReadableLine) {
  std::string line = FormatLogLine(LogFormat::kText, LogLevel::kWarn, "matching", "slow poll",
                                   {{"task_queue", "orders q"}, {"ms", 12}});
  EXPECT_NE(line.find(" WARN matching: slow poll"), std::string::npos) << line;
  EXPECT_NE(line.find("task_queue=\"orders q\""), std::string::npos) << line;
  EXPECT_NE(line.find("ms=12"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(LogLevelTest, ParsesNames) {
  EXPECT_EQ(ParseLogLevel("DEBUG"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("off"), LogLevel::kOff);
  EXPECT_EQ(ParseLogLevel("verbose"), std::nullopt);
  EXPECT_STREQ(LogLevelName(LogLevel::kError), "error");
}

}  // namespace
}  // namespace weft::telemetry
