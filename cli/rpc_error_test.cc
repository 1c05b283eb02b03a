#include "cli/rpc_error.h"

#include <gtest/gtest.h>

namespace weft::cli {
namespace {

TEST(RpcErrorTest, KeepsServerMessageAndAddsCodeName) {
  absl::Status s =
      RpcErrorToStatus(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                    "workflow \"x\" not found in namespace \"default\""),
                       "127.0.0.1:7233", absl::Seconds(30));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "workflow \"x\" not found in namespace \"default\" (NOT_FOUND)");
}

TEST(RpcErrorTest, UnavailableNamesTheAddress) {
  absl::Status s =
      RpcErrorToStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "failed to connect"),
                       "10.0.0.1:7233", absl::Seconds(30));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "cannot reach the server at 10.0.0.1:7233: failed to connect");
}

TEST(RpcErrorTest, DeadlineNamesTheWait) {
  absl::Status s = RpcErrorToStatus(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "x"), "h:1",
                                    absl::Seconds(30));
  EXPECT_EQ(s.message(), "the server at h:1 did not answer within 30s (DEADLINE_EXCEEDED)");
}

TEST(RpcErrorTest, EmptyMessageStillSaysSomething) {
  absl::Status s = RpcErrorToStatus(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, ""), "h:1",
                                    absl::Seconds(30));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "the server answered PERMISSION_DENIED");
}

TEST(RpcErrorTest, AccessErrorsLeadWithTheCode) {
  absl::Status s = RpcErrorToStatus(
      grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "invalid token: token expired at X"), "h:1",
      absl::Seconds(30));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message(), "UNAUTHENTICATED: invalid token: token expired at X");
  s = RpcErrorToStatus(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "\"bob\" may not"), "h:1",
                       absl::Seconds(30));
  EXPECT_EQ(s.message(), "PERMISSION_DENIED: \"bob\" may not");
}

TEST(RpcErrorTest, CodeNames) {
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::ALREADY_EXISTS), "ALREADY_EXISTS");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::FAILED_PRECONDITION), "FAILED_PRECONDITION");
  EXPECT_EQ(GrpcCodeName(static_cast<grpc::StatusCode>(42)), "CODE_42");
  EXPECT_TRUE(RpcErrorToStatus(grpc::Status::OK, "h:1", absl::Seconds(1)).ok());
}

}  // namespace
}  // namespace weft::cli
