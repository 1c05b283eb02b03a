#include "cli/payload_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace weft::cli {
namespace {

using ::testing::HasSubstr;

api::v1::Payload JsonPayload(const std::string& data) {
  api::v1::Payload p;
  (*p.mutable_metadata())["encoding"] = "json/plain";
  p.set_data(data);
  return p;
}

TEST(JsonToPayloadsTest, OnePayloadPerArgumentWithCompactJson) {
  absl::StatusOr<api::v1::Payloads> payloads =
      JsonToPayloads({"\"world\"", "{ \"n\" : 1, \"tags\": [ \"a\" ] }", "[1, 2]", "42", "null"});
  ASSERT_TRUE(payloads.ok()) << payloads.status();
  ASSERT_EQ(payloads->payloads_size(), 5);
  EXPECT_EQ(payloads->payloads(0).data(), "\"world\"");
  EXPECT_EQ(payloads->payloads(1).data(), "{\"n\":1,\"tags\":[\"a\"]}");
  EXPECT_EQ(payloads->payloads(2).data(), "[1,2]");
  EXPECT_EQ(payloads->payloads(3).data(), "42");
  EXPECT_EQ(payloads->payloads(4).data(), "null");
  for (const auto& p : payloads->payloads()) {
    ASSERT_EQ(p.metadata().count("encoding"), 1u);
    EXPECT_EQ(p.metadata().at("encoding"), "json/plain");
    EXPECT_EQ(p.metadata_size(), 1);
  }
}

TEST(JsonToPayloadsTest, KeepsUnicode) {
  auto payloads = JsonToPayloads({"\"h\u00e9llo \\u00e9\""});
  ASSERT_TRUE(payloads.ok());
  EXPECT_EQ(payloads->payloads(0).data(), "\"h\u00e9llo \u00e9\"");
}

TEST(JsonToPayloadsTest, NoArgumentsGiveNoPayloads) {
  auto payloads = JsonToPayloads({});
  ASSERT_TRUE(payloads.ok());
  EXPECT_EQ(payloads->payloads_size(), 0);
}

TEST(JsonToPayloadsTest, InvalidJsonIsAClearError) {
  for (const char* bad : {"hello", "{\"a\":", "", "'single'", "[1,]", "1 2"}) {
    auto payloads = JsonToPayloads({"1", bad});
    ASSERT_FALSE(payloads.ok()) << bad;
    EXPECT_EQ(payloads.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(payloads.status().message(), HasSubstr("--input is not valid JSON"));
    EXPECT_THAT(payloads.status().message(), HasSubstr(absl::StrCat("'", bad, "'")));
    EXPECT_THAT(payloads.status().message(), ::testing::Not(HasSubstr("json.exception")));
  }
}

TEST(PayloadsToJsonTest, ResultShapes) {
  api::v1::Payloads none;
  EXPECT_EQ(PayloadsToJson(none), "null");

  api::v1::Payloads one;
  *one.add_payloads() = JsonPayload("{\"total\": 3}");
  EXPECT_EQ(PayloadsToJson(one), "{\"total\":3}");

  api::v1::Payloads two = one;
  *two.add_payloads() = JsonPayload("\"done\"");
  EXPECT_EQ(PayloadsToJson(two), "[{\"total\":3},\"done\"]");
}

TEST(PayloadsToJsonTest, NonJsonPayloadPrintsAsBase64Object) {
  api::v1::Payloads payloads;
  api::v1::Payload* p = payloads.add_payloads();
  (*p->mutable_metadata())["encoding"] = "binary/plain";
  p->set_data("hi");
  EXPECT_EQ(PayloadsToJson(payloads), "{\"base64\":\"aGk=\",\"encoding\":\"binary/plain\"}");
}

TEST(PayloadsToJsonTest, MissingEncodingIsTreatedAsJson) {
  api::v1::Payloads payloads;
  payloads.add_payloads()->set_data("[true]");
  EXPECT_EQ(PayloadsToJson(payloads), "[true]");
}

TEST(PayloadsSummaryTest, ArrayCutToLength) {
  api::v1::Payloads payloads;
  *payloads.add_payloads() = JsonPayload("\"world\"");
  EXPECT_EQ(PayloadsSummary(payloads), "[\"world\"]");
  *payloads.add_payloads() = JsonPayload(absl::StrCat("\"", std::string(100, 'x'), "\""));
  const std::string summary = PayloadsSummary(payloads, 20);
  EXPECT_EQ(summary, "[\"world\",\"xxxxxxx...");
  EXPECT_EQ(summary.size(), 20u);
}

TEST(AbbreviateTest, DoesNotSplitUtf8) {
  // "é" is two bytes; cutting at 4 bytes would split the second one.
  EXPECT_EQ(Abbreviate("\u00e9\u00e9\u00e9\u00e9", 6), "\u00e9...");
  EXPECT_EQ(Abbreviate("short", 80), "short");
}

}  // namespace
}  // namespace weft::cli
