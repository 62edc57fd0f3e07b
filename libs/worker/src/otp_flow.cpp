// One-time-code step-up: a payment created with an `otp` object waits in otp_required until its code is
// verified. The code exists in clear only in memory and on payment-otp; MySQL holds its keyed hash.
#include <chrono>

#include "payments/core/log.hpp"
#include "payments/core/time.hpp"
#include "payments/core/stripe_keys.hpp"
#include "payments/events/commands.hpp"
#include "payments/events/payment_events.hpp"
#include "payments/json/json.hpp"
#include "payments/runtime/awaitable.hpp"
#include "payments/worker/command_processor.hpp"
#include "owed_events.hpp"

namespace payments::worker {
namespace {

using boost::asio::awaitable;

constexpr int kMaxConflicts = 5;  // retries of a read-modify-write that lost a race
// The challenge's last_result (on /status) when a resend or re-issue was refused for the destination's limit.
constexpr const char* kRateLimitedResult = "rate_limited";

// The payment's move to failed with `code`, and its payment-failed event.
store::Transition failure_transition(const events::TopicNames& topics, const store::PaymentRecord& p,
                                     std::string_view code, const std::string& message) {
  return store::Transition{.payment_id = p.id,
                           .expected_version = p.version,
                           .to = PaymentStatus::failed,
                           .failure_code = std::string(code),
                           .failure_message = message,
                           .event = payment_event(topics, p, PaymentStatus::failed, "",
                                                  {std::string(code), "", message})};
}

// The payment's move when its challenge ends: verified -> processing, expired/locked -> failed.
// `environment`: named in the Stripe key recorded for the charge (ProcessorOptions::environment).
std::optional<store::Transition> transition_for(const events::TopicNames& topics, std::string_view environment,
                                                const store::PaymentRecord& p, const OtpChallenge& challenge) {
  if (challenge.state == OtpState::verified) {
    return store::Transition{.payment_id = p.id,
                             .expected_version = p.version,
                             .to = PaymentStatus::processing,
                             .stripe_idempotency_key = charge_idempotency_key({environment, p.merchant_id}, p.id)};
  }
  const auto code = otp_failure_code(challenge);
  if (!code) return std::nullopt;
  const std::string message = *code == kOtpExpired ? "the one-time code expired before it was verified"
                                                   : "too many wrong one-time codes";
  return failure_transition(topics, p, *code, message);
}

// The destination's hourly limit as of `now`, for the store to check atomically with the send.
store::DestinationLimit destination_limit(const OtpPolicy& policy, OtpTime now) {
  return store::DestinationLimit{.max_codes = policy.max_codes_per_destination_per_hour,
                                 .since = now - kOtpDestinationWindow};
}

// The hash a challenge's codes are counted under; challenges started before it was stored get it from the
// payment's request.
std::string destination_hash_of(const store::StoredChallenge& stored, const OtpDelivery& delivery,
                                const OtpHasher& hasher) {
  if (!stored.destination_hash.empty()) return stored.destination_hash;
  return hasher.destination_hash(delivery.channel, delivery.destination);
}

}  // namespace

awaitable<Status> CommandProcessor::publish_code(const store::PaymentRecord& payment, const OtpChallenge& challenge,
                                               const std::string& channel, const std::string& destination,
                                               const std::string& code) {
  const std::string& payment_id = payment.id;
  const events::OtpMessage otp{events::event_id_for(payment_id, "otp/" + std::to_string(challenge.seq)),
                              payment_id,
                              channel,
                              destination,
                              code,
                              format_rfc3339(challenge.expires_at),
                              payment.merchant_id};
  events::OutgoingMessage message{deps_.topics.otp, payment_id, events::serialize(otp), {}};
  if (auto delivered = co_await publish(std::move(message)); !delivered) co_return delivered;
  const std::uint32_t seq = challenge.seq;
  auto marked = co_await runtime::run_blocking(deps_.blocking, [&] { return deps_.otps.mark_delivered(payment_id, seq); });
  if (!marked) co_return std::move(marked).error();
  co_return Ok{};
}

awaitable<Status> CommandProcessor::start_otp(const store::PaymentRecord& payment, const OtpDelivery& delivery) {
  const auto now = deps_.clock.now();
  auto issued = issue_otp(payment.id, options_.otp_policy, now, deps_.random, deps_.otp_hasher);
  if (!issued) co_return std::move(issued).error();
  store::StoredChallenge stored{issued->challenge, delivery.channel,
                                mask_otp_destination(delivery.channel, delivery.destination), 0, "issued", 0,
                                options_.otp_policy.max_resends,
                                deps_.otp_hasher.destination_hash(delivery.channel, delivery.destination)};
  const store::Transition wait{.payment_id = payment.id,
                               .expected_version = payment.version,
                               .to = PaymentStatus::otp_required};
  // Over the destination's limit the payment fails instead, in the same transaction as the count.
  const store::Transition refusal =
      failure_transition(deps_.topics, payment, kOtpRateLimited,
                         "too many one-time codes were sent to this destination in the last hour");
  const auto limit = destination_limit(options_.otp_policy, now);
  auto started = co_await runtime::run_blocking(deps_.blocking,
                                                [&] { return deps_.otps.start(wait, stored, limit, refusal); });
  if (!started) co_return std::move(started).error();
  // Raced: someone else moved the payment. Rate limited: it failed. Either way the caller re-reads it (and
  // publishes the payment-failed event it owes).
  if (started.value() == store::CodeSendOutcome::raced) co_return Ok{};
  if (started.value() == store::CodeSendOutcome::rate_limited) {
    log::warn("one-time code refused: the destination is over its hourly limit; payment failed",
              {{"payment_id", payment.id}, {"channel", delivery.channel}});
    co_return Ok{};
  }
  log::info("one-time code issued", {{"payment_id", payment.id}, {"channel", delivery.channel}});
  co_return co_await publish_code(payment, issued->challenge, delivery.channel, delivery.destination,
                                  issued->code);
}

// A redelivered command finds the code issued but never published (the worker died in between): the code is
// gone (only its hash was kept), so a fresh one replaces it.
awaitable<Status> CommandProcessor::deliver_otp(const store::PaymentRecord& payment) {
  auto found = co_await runtime::run_blocking(deps_.blocking, [&] { return deps_.otps.find(payment.id); });
  if (!found) co_return std::move(found).error();
  if (!found.value()) co_return Ok{};
  const store::StoredChallenge stored = *found.value();
  if (stored.delivered_seq >= stored.challenge.seq || stored.challenge.state != OtpState::active) co_return Ok{};

  auto request = events::parse_payment_request(payment.request_json);
  if (!request || !request->otp) co_return Ok{};
  const auto now = deps_.clock.now();
  auto code = generate_otp_code(options_.otp_policy.digits, deps_.random);
  if (!code) co_return std::move(code).error();
  store::StoredChallenge fresh = stored;
  fresh.destination_hash = destination_hash_of(stored, *request->otp, deps_.otp_hasher);
  store::StoredChallenge refused = fresh;  // the undelivered code stays; nothing goes out
  refused.last_result = kRateLimitedResult;
  fresh.challenge.seq = stored.challenge.seq + 1;
  fresh.challenge.code_hash = deps_.otp_hasher.hash(payment.id, fresh.challenge.seq, code.value());
  fresh.challenge.expires_at = now + options_.otp_policy.ttl;
  fresh.challenge.last_sent_at = now;
  fresh.last_result = "reissued";
  const auto limit = destination_limit(options_.otp_policy, now);
  auto sent = co_await runtime::run_blocking(
      deps_.blocking, [&] { return deps_.otps.send_code(fresh, refused, stored.version, limit); });
  if (!sent) co_return std::move(sent).error();
  if (sent.value() == store::CodeSendOutcome::raced) co_return Ok{};
  if (sent.value() == store::CodeSendOutcome::rate_limited) {
    log::warn("one-time code not re-issued: the destination is over its hourly limit", {{"payment_id", payment.id}});
    co_return Ok{};
  }
  co_return co_await publish_code(payment, fresh.challenge, request->otp->channel, request->otp->destination,
                                  code.value());
}

awaitable<CommandProcessor::WaitingChallenge> CommandProcessor::load_waiting(const std::string& payment_id,
                                                                            const std::string& merchant_id) {
  WaitingChallenge out;
  auto payment = co_await runtime::run_blocking(deps_.blocking, [&] { return deps_.payments.find(payment_id); });
  if (!payment) {
    out.error = std::move(payment).error();
    co_return out;
  }
  out.kind = WaitingChallenge::Kind::ignored;
  // Another merchant's payment is treated as no payment at all.
  if (!payment.value() || payment.value()->merchant_id != merchant_id ||
      payment.value()->status != PaymentStatus::otp_required) {
    out.reason = "ignored: payment is not waiting for a one-time code";
    co_return out;
  }
  auto found = co_await runtime::run_blocking(deps_.blocking, [&] { return deps_.otps.find(payment_id); });
  if (!found) {
    out.kind = WaitingChallenge::Kind::unavailable;
    out.error = std::move(found).error();
    co_return out;
  }
  if (!found.value()) {
    out.reason = "ignored: no one-time code challenge";
    co_return out;
  }
  out.kind = WaitingChallenge::Kind::waiting;
  out.payment = *payment.value();
  out.stored = *found.value();
  co_return out;
}

awaitable<Status> CommandProcessor::send_otp(const events::CommandEnvelope& command) {
  for (int attempt = 0; attempt < kMaxConflicts; ++attempt) {
    auto waiting = co_await load_waiting(command.payment_id, merchant_of(command));
    if (waiting.kind == WaitingChallenge::Kind::unavailable) co_return waiting.error;
    if (waiting.kind == WaitingChallenge::Kind::ignored) co_return co_await finish(command, waiting.reason);
    const store::StoredChallenge stored = waiting.stored;
    const store::PaymentRecord current = waiting.payment;

    const auto now = deps_.clock.now();
    auto outcome = resend_otp(stored.challenge, options_.otp_policy, now, deps_.random, deps_.otp_hasher);
    if (!outcome) co_return std::move(outcome).error();
    store::StoredChallenge next = stored;
    next.challenge = outcome->challenge;
    if (!outcome->resent()) {
      next.last_result = std::string(to_string(*outcome->refusal));
      // A challenge that just expired fails the payment.
      const auto move = transition_for(deps_.topics, options_.environment, current, next.challenge);
      auto updated = co_await runtime::run_blocking(deps_.blocking,
                                                    [&] { return deps_.otps.update(next, stored.version, move); });
      if (!updated) co_return std::move(updated).error();
      if (!updated.value()) continue;  // raced with the sweeper or another command: read again
      if (auto flushed = co_await flush_outbox(current.id); !flushed) co_return flushed;
      co_return co_await finish(command, next.last_result);
    }

    // A new code: only if the destination is under its hourly limit, decided with the write.
    auto request = events::parse_payment_request(current.request_json);
    if (!request || !request->otp) co_return Error::internal("stored payment request has no one-time code delivery");
    next.destination_hash = destination_hash_of(stored, *request->otp, deps_.otp_hasher);
    next.last_result = "resent";
    store::StoredChallenge refused = stored;  // the current code stays valid; nothing goes out
    refused.destination_hash = next.destination_hash;
    refused.last_result = kRateLimitedResult;
    const auto limit = destination_limit(options_.otp_policy, now);
    auto sent = co_await runtime::run_blocking(
        deps_.blocking, [&] { return deps_.otps.send_code(next, refused, stored.version, limit); });
    if (!sent) co_return std::move(sent).error();
    if (sent.value() == store::CodeSendOutcome::raced) continue;
    if (sent.value() == store::CodeSendOutcome::rate_limited) {
      log::warn("one-time code not resent: the destination is over its hourly limit", {{"payment_id", current.id}});
      if (auto flushed = co_await flush_outbox(current.id); !flushed) co_return flushed;
      co_return co_await finish(command, refused.last_result);
    }
    if (auto published = co_await publish_code(current, next.challenge, request->otp->channel,
                                               request->otp->destination, *outcome->code);
        !published) {
      co_return published;
    }
    if (auto flushed = co_await flush_outbox(current.id); !flushed) co_return flushed;
    co_return co_await finish(command, next.last_result);
  }
  co_return Error::unavailable("one-time code challenge kept changing under a resend");
}

awaitable<Status> CommandProcessor::verify_otp_code(const events::CommandEnvelope& command) {
  // The submitted code is never logged, stored or dead-lettered.
  std::string submitted;
  if (auto data = json::parse(command.data_json, {.max_bytes = 1024, .max_depth = 2})) {
    json::ObjectReader reader(data.value());
    if (auto code = reader.string("code")) submitted = code.value();
  }
  for (int attempt = 0; attempt < kMaxConflicts; ++attempt) {
    auto waiting = co_await load_waiting(command.payment_id, merchant_of(command));
    if (waiting.kind == WaitingChallenge::Kind::unavailable) co_return waiting.error;
    if (waiting.kind == WaitingChallenge::Kind::ignored) co_return co_await finish(command, waiting.reason);
    const store::StoredChallenge stored = waiting.stored;
    const store::PaymentRecord current = waiting.payment;

    const auto outcome = verify_otp(stored.challenge, submitted, options_.otp_policy, deps_.clock.now(),
                                    deps_.otp_hasher);
    store::StoredChallenge next = stored;
    next.challenge = outcome.challenge;
    next.last_result = std::string(to_string(outcome.result));
    const auto move = transition_for(deps_.topics, options_.environment, current, next.challenge);
    auto updated = co_await runtime::run_blocking(deps_.blocking,
                                                  [&] { return deps_.otps.update(next, stored.version, move); });
    if (!updated) co_return std::move(updated).error();
    if (!updated.value()) continue;
    log::info("one-time code checked", {{"payment_id", current.id}, {"result", next.last_result},
                                        {"attempts_left", std::to_string(next.challenge.attempts_left)}});
    // Verified: the payment is processing now; charge it like any other.
    if (auto driven = co_await drive(current.id); !driven) co_return driven;
    co_return co_await finish(command, next.last_result);
  }
  co_return Error::unavailable("one-time code challenge kept changing under a verification");
}

awaitable<int> CommandProcessor::expire_due_otps() {
  const auto now = deps_.clock.now();
  auto due = co_await runtime::run_blocking(deps_.blocking, [&] { return deps_.otps.due(now, 100); });
  if (!due) co_return 0;
  int expired = 0;
  for (const auto& stored : due.value()) {
    auto challenge = expire_otp_if_due(stored.challenge, now);
    if (!challenge) continue;
    const std::string payment_id = stored.challenge.payment_id;
    auto payment = co_await runtime::run_blocking(deps_.blocking, [&] { return deps_.payments.find(payment_id); });
    if (!payment || !payment.value()) continue;
    store::StoredChallenge next = stored;
    next.challenge = *challenge;
    next.last_result = "expired";
    std::optional<store::Transition> move;
    if (payment.value()->status == PaymentStatus::otp_required) {
      move = transition_for(deps_.topics, options_.environment, *payment.value(), next.challenge);
    }
    auto updated = co_await runtime::run_blocking(deps_.blocking,
                                                  [&] { return deps_.otps.update(next, stored.version, move); });
    if (!updated || !updated.value()) continue;  // a command got there first; it decided
    if (!co_await flush_outbox(payment_id)) continue;  // the relay publishes it
    log::info("one-time code expired; payment failed", {{"payment_id", payment_id}});
    ++expired;
  }
  co_return expired;
}

}  // namespace payments::worker
