#include "otp_flow.hpp"

#include "payments/core/log.hpp"
#include "payments/json/json.hpp"
#include "payments/runtime/awaitable.hpp"
#include "otp_transitions.hpp"

namespace payments::worker {
namespace {

using boost::asio::awaitable;

constexpr int kMaxConflicts = 5;  // retries of a read-modify-write that lost a race

}  // namespace

OtpFlow::OtpFlow(store::PaymentStore& payments, store::OtpStore& otps, const OtpHasher& hasher, RandomSource& random,
                 const Clock& clock, OtpPolicy policy, std::string environment, boost::asio::thread_pool& blocking,
                 Outbox& outbox, OtpIssuer& issuer, PaymentDriver& driver)
    : payments_(payments), otps_(otps), hasher_(hasher), random_(random), clock_(clock), policy_(policy),
      environment_(std::move(environment)), blocking_(blocking), outbox_(outbox), issuer_(issuer), driver_(driver) {}

awaitable<OtpFlow::WaitingChallenge> OtpFlow::load_waiting(const std::string& payment_id,
                                                           const std::string& merchant_id) {
  WaitingChallenge out;
  auto payment = co_await runtime::run_blocking(blocking_, [&] { return payments_.find(payment_id); });
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
  auto found = co_await runtime::run_blocking(blocking_, [&] { return otps_.find(payment_id); });
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

awaitable<Status> OtpFlow::send(const events::CommandEnvelope& command) {
  for (int attempt = 0; attempt < kMaxConflicts; ++attempt) {
    auto waiting = co_await load_waiting(command.payment_id, outbox_.merchant_of(command));
    if (waiting.kind == WaitingChallenge::Kind::unavailable) co_return waiting.error;
    if (waiting.kind == WaitingChallenge::Kind::ignored) co_return co_await outbox_.finish(command, waiting.reason);
    const store::StoredChallenge stored = waiting.stored;
    const store::PaymentRecord current = *waiting.payment;

    const auto now = clock_.now();
    auto outcome = resend_otp(stored.challenge, policy_, now, random_, hasher_);
    if (!outcome) co_return std::move(outcome).error();
    store::StoredChallenge next = stored;
    next.challenge = outcome->challenge;
    if (!outcome->resent()) {
      next.last_result = std::string(to_string(*outcome->refusal));
      // A challenge that just expired fails the payment.
      const auto move = transition_for(outbox_.topics(), environment_, current, next.challenge);
      auto updated = co_await runtime::run_blocking(blocking_,
                                                    [&] { return otps_.update(next, stored.version, move); });
      if (!updated) co_return std::move(updated).error();
      if (!updated.value()) continue;  // raced with the sweeper or another command: read again
      if (auto flushed = co_await outbox_.flush_outbox(current.id); !flushed) co_return flushed;
      co_return co_await outbox_.finish(command, next.last_result);
    }

    // A new code: only if the destination is under its hourly limit, decided with the write.
    auto request = events::parse_payment_request(current.request_json);
    if (!request || !request->otp) co_return Error::internal("stored payment request has no one-time code delivery");
    next.destination_hash = destination_hash_of(stored, *request->otp, hasher_);
    next.last_result = "resent";
    store::StoredChallenge refused = stored;  // the current code stays valid; nothing goes out
    refused.destination_hash = next.destination_hash;
    refused.last_result = kRateLimitedResult;
    const auto limit = destination_limit(policy_, now);
    auto sent = co_await runtime::run_blocking(
        blocking_, [&] { return otps_.send_code(next, refused, stored.version, limit); });
    if (!sent) co_return std::move(sent).error();
    if (sent.value() == store::CodeSendOutcome::raced) continue;
    if (sent.value() == store::CodeSendOutcome::rate_limited) {
      log::warn("one-time code not resent: the destination is over its hourly limit", {{"payment_id", current.id}});
      if (auto flushed = co_await outbox_.flush_outbox(current.id); !flushed) co_return flushed;
      co_return co_await outbox_.finish(command, refused.last_result);
    }
    if (auto published = co_await issuer_.publish_code(current, next.challenge, request->otp->channel,
                                               request->otp->destination, *outcome->code);
        !published) {
      co_return published;
    }
    if (auto flushed = co_await outbox_.flush_outbox(current.id); !flushed) co_return flushed;
    co_return co_await outbox_.finish(command, next.last_result);
  }
  co_return Error::unavailable("one-time code challenge kept changing under a resend");
}

awaitable<Status> OtpFlow::verify(const events::CommandEnvelope& command) {
  // The submitted code is never logged, stored or dead-lettered.
  std::string submitted;
  if (auto data = json::parse(command.data_json, {.max_bytes = 1024, .max_depth = 2})) {
    json::ObjectReader reader(data.value());
    if (auto code = reader.string("code")) submitted = code.value();
  }
  for (int attempt = 0; attempt < kMaxConflicts; ++attempt) {
    auto waiting = co_await load_waiting(command.payment_id, outbox_.merchant_of(command));
    if (waiting.kind == WaitingChallenge::Kind::unavailable) co_return waiting.error;
    if (waiting.kind == WaitingChallenge::Kind::ignored) co_return co_await outbox_.finish(command, waiting.reason);
    const store::StoredChallenge stored = waiting.stored;
    const store::PaymentRecord current = *waiting.payment;

    const auto outcome = verify_otp(stored.challenge, submitted, policy_, clock_.now(),
                                    hasher_);
    store::StoredChallenge next = stored;
    next.challenge = outcome.challenge;
    next.last_result = std::string(to_string(outcome.result));
    const auto move = transition_for(outbox_.topics(), environment_, current, next.challenge);
    auto updated = co_await runtime::run_blocking(blocking_,
                                                  [&] { return otps_.update(next, stored.version, move); });
    if (!updated) co_return std::move(updated).error();
    if (!updated.value()) continue;
    log::info("one-time code checked", {{"payment_id", current.id}, {"result", next.last_result},
                                        {"attempts_left", std::to_string(next.challenge.attempts_left)}});
    // Verified: the payment is processing now; charge it like any other.
    if (auto driven = co_await driver_.drive(current.id); !driven) co_return driven;
    co_return co_await outbox_.finish(command, next.last_result);
  }
  co_return Error::unavailable("one-time code challenge kept changing under a verification");
}

awaitable<int> OtpFlow::expire_due() {
  const auto now = clock_.now();
  auto due = co_await runtime::run_blocking(blocking_, [&] { return otps_.due(now, 100); });
  if (!due) co_return 0;
  int expired = 0;
  for (const auto& stored : due.value()) {
    auto challenge = expire_otp_if_due(stored.challenge, now);
    if (!challenge) continue;
    const std::string payment_id = stored.challenge.payment_id;
    auto payment = co_await runtime::run_blocking(blocking_, [&] { return payments_.find(payment_id); });
    if (!payment || !payment.value()) continue;
    store::StoredChallenge next = stored;
    next.challenge = *challenge;
    next.last_result = "expired";
    std::optional<store::Transition> move;
    if (payment.value()->status == PaymentStatus::otp_required) {
      move = transition_for(outbox_.topics(), environment_, *payment.value(), next.challenge);
    }
    auto updated = co_await runtime::run_blocking(blocking_,
                                                  [&] { return otps_.update(next, stored.version, move); });
    if (!updated || !updated.value()) continue;  // a command got there first; it decided
    if (!co_await outbox_.flush_outbox(payment_id)) continue;  // the relay publishes it
    log::info("one-time code expired; payment failed", {{"payment_id", payment_id}});
    ++expired;
  }
  co_return expired;
}

}  // namespace payments::worker
