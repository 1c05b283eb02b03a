#include "cli/output_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/text_table.h"
#include "google/protobuf/text_format.h"

namespace weft::cli {
namespace {

using ::testing::HasSubstr;

template <typename Message>
Message Parse(const std::string& text_proto) {
  Message m;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text_proto, &m)) << text_proto;
  return m;
}

TEST(TextTableTest, AlignsColumnsWithoutTrailingSpaces) {
  TextTable table({"NAME", "STATUS", "NOTE"});
  table.AddRow({"order-1", "Running", ""});
  table.AddRow({"x", "Completed", "done"});
  table.AddRow({"short"});
  EXPECT_EQ(table.Render(),
            "NAME     STATUS     NOTE\n"
            "order-1  Running\n"
            "x        Completed  done\n"
            "short\n");
}

TEST(ProtoToJsonTest, SnakeCaseCompact) {
  api::v1::StartWorkflowExecutionResponse r;
  r.set_run_id("r1");
  r.set_started(true);
  EXPECT_EQ(*ProtoToJson(r), "{\"run_id\":\"r1\",\"started\":true}");
}

TEST(FormatWorkflowDescriptionTest, ShowsStatusPendingActivitiesAndTimers) {
  auto r = Parse<api::v1::DescribeWorkflowExecutionResponse>(R"pb(
    workflow_execution_info {
      execution { workflow_id: "order-1" run_id: "r-1" }
      type { name: "ProcessOrder" }
      task_queue: "orders"
      status: WORKFLOW_EXECUTION_STATUS_RUNNING
      start_time { seconds: 1714564800 }
      history_length: 14
    }
    pending_activities {
      activity_id: "2"
      activity_type { name: "Charge" }
      state: "BACKOFF"
      attempt: 3
      maximum_attempts: 5
      last_failure { message: "card declined" type: "CardError" }
    }
    pending_timers {
      timer_id: "reminder"
      fire_time { seconds: 1714568400 }
    })pb");
  EXPECT_EQ(FormatWorkflowDescription(r),
            "Workflow ID:     order-1\n"
            "Run ID:          r-1\n"
            "Type:            ProcessOrder\n"
            "Task queue:      orders\n"
            "Status:          Running\n"
            "Start time:      2024-05-01T12:00:00.000Z\n"
            "Close time:      -\n"
            "History length:  14\n"
            "Pending activities: 1\n"
            "  activity_id=2 type=Charge state=BACKOFF attempt=3/5 last_failure=\"card "
            "declined\" type=CardError\n"
            "Pending timers: 1\n"
            "  timer_id=reminder fire_time=2024-05-01T13:00:00.000Z\n");
}

TEST(FormatWorkflowTableTest, OneRowPerExecution) {
  auto r = Parse<api::v1::ListWorkflowExecutionsResponse>(R"pb(
    executions {
      execution { workflow_id: "a" run_id: "r-a" }
      type { name: "T" }
      status: WORKFLOW_EXECUTION_STATUS_TIMED_OUT
      start_time { seconds: 1714564800 }
    }
    executions {
      execution { workflow_id: "bb" run_id: "r-bb" }
      type { name: "Long" }
      status: WORKFLOW_EXECUTION_STATUS_RUNNING
    })pb");
  EXPECT_EQ(FormatWorkflowTable(r.executions()),
            "WORKFLOW ID  RUN ID  TYPE  STATUS    START TIME\n"
            "a            r-a     T     TimedOut  2024-05-01T12:00:00.000Z\n"
            "bb           r-bb    Long  Running   -\n");
}

TEST(FormatNamespaceTest, InfoAndTable) {
  auto info = Parse<api::v1::NamespaceInfo>(R"pb(
    name: "payments"
    id: "ns-1"
    description: "money"
    workflow_execution_retention_ttl { seconds: 259200 })pb");
  const std::string text = FormatNamespaceInfo(info);
  EXPECT_THAT(text, HasSubstr("Name:         payments\n"));
  EXPECT_THAT(text, HasSubstr("Retention:    3d\n"));
  EXPECT_THAT(text, HasSubstr("Owner email:  -\n"));
  api::v1::ListNamespacesResponse list;
  *list.add_namespaces() = info;
  list.add_namespaces()->set_name("default");
  EXPECT_EQ(FormatNamespaceTable(list.namespaces()),
            "NAME      RETENTION  DESCRIPTION\n"
            "payments  3d         money\n"
            "default   -\n");
}

}  // namespace
}  // namespace weft::cli
