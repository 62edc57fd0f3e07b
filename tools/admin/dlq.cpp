#include "dlq.hpp"

#include <charconv>
#include <cstdio>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "payments/core/time.hpp"
#include "payments/events/dlq_records.hpp"
#include "payments/events/kafka.hpp"
#include "payments/events/topic_reader.hpp"
#include "payments/events/topics.hpp"

namespace payments::admin {
namespace {

using namespace std::chrono_literals;

// Reading the whole DLQ, and waiting for the broker to confirm every replayed record.
constexpr auto kReadTimeout = 30s;
constexpr auto kDeliveryTimeout = 30s;

constexpr const char* kUsage =
    "usage: payments-admin dlq list [--reason R] [--since 2026-05-01T00:00:00Z]\n"
    "       payments-admin dlq replay (--offsets [P:]A[-B][,...] [--partition P] | --reason R) [--since T]\n"
    "  --reason R: dlq-reason contains R (case-insensitive); --since T: failed at or after T (RFC 3339, UTC, Z)\n"
    "  --offsets: DLQ offsets A to B inclusive on partition P (as `dlq list` shows them, P:A), several with ','\n";

int usage(std::string_view problem = {}) {
  if (!problem.empty()) std::fprintf(stderr, "payments-admin: %.*s\n", static_cast<int>(problem.size()), problem.data());
  std::fputs(kUsage, stderr);
  return 2;
}

int fail(const Error& error) {
  std::fprintf(stderr, "payments-admin: %s\n", error.message.c_str());
  return 1;
}

struct Flags {
  events::DlqSelection selection;
  std::optional<std::string> offsets;
  std::int32_t partition = 0;
};

// The flags after the verb; `replay` also takes --offsets and --partition.
Result<Flags> parse_flags(int argc, char** argv, bool replay) {
  Flags flags;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return Error::validation(std::string(arg), std::string(arg) + " needs a value");
    const std::string value = argv[++i];
    if (arg == "--reason") {
      if (value.empty()) return Error::validation("reason", "--reason needs some text of the dlq-reason to match");
      flags.selection.reason = value;
    } else if (arg == "--since") {
      flags.selection.since = parse_rfc3339(value);
      if (!flags.selection.since) {
        return Error::validation("since", "--since takes an RFC 3339 time in UTC, like 2026-05-01T00:00:00Z");
      }
    } else if (replay && arg == "--offsets") {
      flags.offsets = value;
    } else if (replay && arg == "--partition") {
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), flags.partition);
      if (ec != std::errc{} || end != value.data() + value.size() || flags.partition < 0) {
        return Error::validation("partition", "--partition takes a partition number of the DLQ topic");
      }
    } else {
      return Error::validation(std::string(arg), "unknown option " + std::string(arg));
    }
  }
  if (flags.offsets) {
    auto ranges = events::parse_dlq_offsets(*flags.offsets, flags.partition);
    if (!ranges) return std::move(ranges).error();
    flags.selection.offsets = std::move(ranges).value();
  }
  if (replay && !flags.offsets && !flags.selection.reason) {
    return Error::validation("offsets", "dlq replay needs --offsets or --reason: it never replays everything");
  }
  return flags;
}

events::KafkaConnection connection(const ServiceConfig& config) {
  return {config.kafka.brokers, config.kafka.client_properties};
}

std::string key_text(const std::string& key) { return key.empty() ? "-" : events::printable(key.substr(0, 64)); }

int list(const ServiceConfig& config, const Flags& flags) {
  const auto topics = events::TopicNames::with_prefix(config.kafka.topic_prefix);
  auto messages = events::read_topic_to_end(connection(config), topics.commands_dlq, kReadTimeout);
  if (!messages) return fail(messages.error());
  std::printf("%-12s %-26s %-18s %-7s %-40s %s\n", "OFFSET", "FAILED_AT", "ERROR_CODE", "REPLAYS", "KEY", "REASON");
  std::size_t shown = 0;
  for (const auto& message : messages.value()) {
    const auto record = events::read_dlq_record(message);
    if (!events::selects(flags.selection, record)) continue;
    ++shown;
    const std::string replays = record.replay_count ? std::to_string(*record.replay_count) : "?";
    std::printf("%-12s %-26s %-18s %-7s %-40s %s\n", events::dlq_position(record.partition, record.offset).c_str(),
                record.failed_at.empty() ? "-" : events::printable(record.failed_at).c_str(),
                record.error_code.empty() ? "-" : events::printable(record.error_code).c_str(), replays.c_str(),
                key_text(record.key).c_str(), record.reason.empty() ? "-" : events::printable(record.reason).c_str());
  }
  std::fprintf(stderr, "payments-admin: dlq list: %zu of %zu records in %s\n", shown, messages->size(),
               topics.commands_dlq.c_str());
  return 0;
}

struct Planned {
  const events::IncomingMessage* message = nullptr;
  std::string outcome;  // why it is not replayed, for its own line
  std::string summary;  // the same, as the summary counts it
  int next_count = 0;
  bool replay = false;
  std::future<Status> delivered;
};

int replay(const ServiceConfig& config, const Flags& flags) {
  const auto topics = events::TopicNames::with_prefix(config.kafka.topic_prefix);
  auto messages = events::read_topic_to_end(connection(config), topics.commands_dlq, kReadTimeout);
  if (!messages) return fail(messages.error());
  const auto counts = events::replay_counts(messages.value());

  // Every selected record gets a verdict; a command held by several selected records is published once.
  std::vector<Planned> plan;
  std::map<std::pair<std::string_view, std::string_view>, std::string> published;
  for (std::size_t i = 0; i < messages->size(); ++i) {
    const auto& message = messages.value()[i];
    const auto record = events::read_dlq_record(message);
    if (!events::selects(flags.selection, record)) continue;
    Planned planned{&message};
    const auto decision = events::decide_replay(record, message.value, topics.commands, counts[i]);
    const auto position = events::dlq_position(record.partition, record.offset);
    if (decision.skip != events::ReplaySkip::none) {
      planned.outcome = planned.summary = events::describe(decision.skip);
    } else if (auto [first, inserted] = published.try_emplace({message.key, message.value}, position); !inserted) {
      planned.outcome = "the same command as " + first->second + ", which this run replays";
      planned.summary = "the same command as another record this run replays";
    } else {
      planned.replay = true;
      planned.next_count = decision.next_count;
    }
    plan.push_back(std::move(planned));
  }
  if (plan.empty()) {
    std::fprintf(stderr, "payments-admin: dlq replay: no record of %s matches (%zu records read)\n",
                 topics.commands_dlq.c_str(), messages->size());
    return 1;
  }

  std::unique_ptr<events::Producer> producer;
  if (!published.empty()) {
    auto made = events::Producer::create({.brokers = config.kafka.brokers,
                                          .client_properties = config.kafka.client_properties,
                                          .client_id = "payments-admin",
                                          .linger_ms = 0,
                                          .delivery_timeout = kDeliveryTimeout});
    if (!made) return fail(made.error());
    producer = std::move(made).value();
  }
  for (auto& planned : plan) {
    if (!planned.replay) continue;
    auto done = std::make_shared<std::promise<Status>>();
    planned.delivered = done->get_future();
    producer->produce(events::replay_message(*planned.message, topics.commands, planned.next_count),
                      [done](Status status) { done->set_value(std::move(status)); });
  }

  std::size_t replayed = 0;
  std::size_t undelivered = 0;
  std::map<std::string, std::size_t> skipped;
  std::optional<Error> first_failure;
  for (auto& planned : plan) {
    const auto& message = *planned.message;
    const auto position = events::dlq_position(message.partition, message.offset);
    if (!planned.replay) {
      ++skipped[planned.summary];
      std::printf("skipped   %-12s key %s: %s\n", position.c_str(), key_text(message.key).c_str(),
                  planned.outcome.c_str());
      continue;
    }
    // The producer reports every message within its delivery timeout; the margin covers the report's trip.
    Status status = planned.delivered.wait_for(kDeliveryTimeout + 10s) == std::future_status::ready
                        ? planned.delivered.get()
                        : Status(Error::unavailable("no delivery report from Kafka"));
    if (!status) {
      ++undelivered;
      if (!first_failure) first_failure = status.error();
      std::printf("FAILED    %-12s key %s: %s\n", position.c_str(), key_text(message.key).c_str(),
                  status.error().message.c_str());
      continue;
    }
    ++replayed;
    std::printf("replayed  %-12s key %s to %s (dlq-replayed %d of at most %d)\n", position.c_str(),
                key_text(message.key).c_str(), topics.commands.c_str(), planned.next_count, events::kMaxDlqReplays);
  }
  std::size_t skipped_total = 0;
  for (const auto& [why, n] : skipped) skipped_total += n;
  std::printf("replayed %zu, skipped %zu\n", replayed, skipped_total);
  for (const auto& [why, n] : skipped) std::printf("  skipped %zu: %s\n", n, why.c_str());
  if (undelivered > 0) {
    std::fprintf(stderr, "payments-admin: dlq replay: %zu of %zu records were not replayed: %s\n", undelivered,
                 undelivered + replayed, first_failure->message.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int dlq_command(const ServiceConfig& config, int argc, char** argv) {
  if (argc < 1) return usage();
  const std::string_view verb = argv[0];
  if (verb != "list" && verb != "replay") return usage("unknown dlq command " + std::string(verb));
  auto flags = parse_flags(argc - 1, argv + 1, verb == "replay");
  if (!flags) return usage(flags.error().message);
  return verb == "list" ? list(config, flags.value()) : replay(config, flags.value());
}

}  // namespace payments::admin
