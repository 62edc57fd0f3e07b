#pragma once
// The Kafka topics of the contract (../../CONTRACT in docs/contract.md), and how many partitions the project
// creates them with when they are missing.

#include <array>
#include <string_view>

namespace payments::events {

namespace topic {
inline constexpr std::string_view kCommands = "payment-commands";
inline constexpr std::string_view kCommandsDlq = "payment-commands-dlq";
inline constexpr std::string_view kSuccess = "payment-success";
inline constexpr std::string_view kFailed = "payment-failed";
inline constexpr std::string_view kRefunded = "payment-refunded";
inline constexpr std::string_view kOtp = "payment-otp";
}  // namespace topic

// Twelve partitions: enough for a consumer group of several workers to share the load, and the benchmark's
// baseline (one command at a time per partition) is stated against it.
inline constexpr int kDefaultPartitions = 12;

inline constexpr std::array<std::string_view, 6> kAllTopics{
    topic::kCommands, topic::kCommandsDlq, topic::kSuccess, topic::kFailed, topic::kRefunded, topic::kOtp};

}  // namespace payments::events
