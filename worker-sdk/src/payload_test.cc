#include "weft/payload.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "weft/api/v1/common.pb.h"

namespace weft {
namespace {

struct Order {
  std::string id;
  int quantity = 0;
  bool operator==(const Order&) const = default;
};
void to_json(nlohmann::json& j, const Order& o) { j = {{"id", o.id}, {"quantity", o.quantity}}; }
void from_json(const nlohmann::json& j, Order& o) {
  j.at("id").get_to(o.id);
  j.at("quantity").get_to(o.quantity);
}

TEST(PayloadTest, StringIsJsonText) {
  api::v1::Payload p = ToPayload(std::string("x"));
  EXPECT_EQ(p.metadata().at("encoding"), "json/plain");
  EXPECT_EQ(p.data(), "\"x\"");
  EXPECT_EQ(FromPayload<std::string>(p), "x");
}

TEST(PayloadTest, RoundTripsBuiltinsAndContainers) {
  EXPECT_EQ(FromPayload<int>(ToPayload(42)), 42);
  EXPECT_DOUBLE_EQ(FromPayload<double>(ToPayload(2.5)), 2.5);
  EXPECT_EQ(FromPayload<bool>(ToPayload(true)), true);
  std::vector<std::string> v = {"a", "b"};
  EXPECT_EQ(FromPayload<std::vector<std::string>>(ToPayload(v)), v);
  std::map<std::string, int> m = {{"a", 1}, {"b", 2}};
  EXPECT_EQ(FromPayload<decltype(m)>(ToPayload(m)), m);
}

TEST(PayloadTest, RoundTripsUserTypes) {
  Order o{"o-1", 3};
  api::v1::Payload p = ToPayload(o);
  EXPECT_EQ(nlohmann::json::parse(p.data()), (nlohmann::json{{"id", "o-1"}, {"quantity", 3}}));
  EXPECT_EQ(FromPayload<Order>(p), o);
}

TEST(PayloadTest, BytesAreBinaryPlain) {
  Bytes b{std::string("\x00\xff\x01", 3)};
  api::v1::Payload p = ToPayload(b);
  EXPECT_EQ(p.metadata().at("encoding"), "binary/plain");
  EXPECT_EQ(p.data(), b.data);
  EXPECT_EQ(FromPayload<Bytes>(p), b);
}

TEST(PayloadTest, ProtobufMessages) {
  api::v1::RetryPolicy policy;
  policy.set_maximum_attempts(7);
  api::v1::Payload p = ToPayload(policy);
  EXPECT_EQ(p.metadata().at("encoding"), "binary/protobuf");
  EXPECT_EQ(p.metadata().at("messageType"), "weft.api.v1.RetryPolicy");
  EXPECT_EQ(FromPayload<api::v1::RetryPolicy>(p).maximum_attempts(), 7);
}

TEST(PayloadTest, WrongTypeIsAClearError) {
  api::v1::Payload p = ToPayload(std::string("seven"));
  try {
    FromPayload<int>(p);
    FAIL() << "expected PayloadError";
  } catch (const PayloadError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("json/plain"), std::string::npos) << message;
    EXPECT_NE(message.find("int"), std::string::npos) << message;
    EXPECT_NE(message.find("\"seven\""), std::string::npos) << message;
  }
  absl::StatusOr<int> status = DecodePayload<int>(p);
  EXPECT_EQ(status.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PayloadTest, InvalidJsonAndForeignEncodingsAreErrors) {
  api::v1::Payload bad;
  (*bad.mutable_metadata())["encoding"] = "json/plain";
  bad.set_data("{not json");
  EXPECT_THROW(FromPayload<int>(bad), PayloadError);
  EXPECT_THROW(FromPayload<std::string>(ToPayload(Bytes{"raw"})), PayloadError);
}

TEST(PayloadTest, EmptyPayloadsDecodeAsNull) {
  api::v1::Payloads none;
  EXPECT_TRUE(FromFirstPayload<nlohmann::json>(none).is_null());
  EXPECT_EQ(FromFirstPayload<std::optional<int>>(none), std::nullopt);
  EXPECT_THROW(FromFirstPayload<std::string>(none), PayloadError);
}

TEST(PayloadTest, ToPayloadsKeepsArgumentOrder) {
  api::v1::Payloads p = ToPayloads(std::string("a"), 2, true);
  ASSERT_EQ(p.payloads_size(), 3);
  EXPECT_EQ(FromPayload<std::string>(p.payloads(0)), "a");
  EXPECT_EQ(FromPayload<int>(p.payloads(1)), 2);
  EXPECT_EQ(FromPayload<bool>(p.payloads(2)), true);
}

}  // namespace
}  // namespace weft
