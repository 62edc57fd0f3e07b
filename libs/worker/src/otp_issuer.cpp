#include "otp_issuer.hpp"

#include "payments/core/log.hpp"
#include "payments/core/time.hpp"
#include "payments/events/commands.hpp"
#include "payments/events/payment_events.hpp"
#include "payments/runtime/awaitable.hpp"
#include "otp_transitions.hpp"

namespace payments::worker {

using boost::asio::awaitable;

OtpIssuer::OtpIssuer(store::OtpStore& otps, const OtpHasher& hasher, RandomSource& random, const Clock& clock,
                     OtpPolicy policy, boost::asio::thread_pool& blocking, Outbox& outbox)
    : otps_(otps), hasher_(hasher), random_(random), clock_(clock), policy_(policy), blocking_(blocking),
      outbox_(outbox) {}

awaitable<Status> OtpIssuer::publish_code(const store::PaymentRecord& payment, const OtpChallenge& challenge,
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
  events::OutgoingMessage message{outbox_.topics().otp, payment_id, events::serialize(otp), {}};
  if (auto delivered = co_await outbox_.publish(std::move(message)); !delivered) co_return delivered;
  const std::uint32_t seq = challenge.seq;
  auto marked = co_await runtime::run_blocking(blocking_, [&] { return otps_.mark_delivered(payment_id, seq); });
  if (!marked) co_return std::move(marked).error();
  co_return Ok{};
}

awaitable<Status> OtpIssuer::start(const store::PaymentRecord& payment, const OtpDelivery& delivery) {
  const auto now = clock_.now();
  auto issued = issue_otp(payment.id, policy_, now, random_, hasher_);
  if (!issued) co_return std::move(issued).error();
  store::StoredChallenge stored{issued->challenge, delivery.channel,
                                mask_otp_destination(delivery.channel, delivery.destination), 0, "issued", 0,
                                policy_.max_resends, hasher_.destination_hash(delivery.channel, delivery.destination)};
  const store::Transition wait{.payment_id = payment.id,
                               .expected_version = payment.version,
                               .to = PaymentStatus::otp_required};
  // Over the destination's limit the payment fails instead, in the same transaction as the count.
  const store::Transition refusal =
      failure_transition(outbox_.topics(), payment, kOtpRateLimited,
                         "too many one-time codes were sent to this destination in the last hour");
  const auto limit = destination_limit(policy_, now);
  auto started = co_await runtime::run_blocking(blocking_, [&] { return otps_.start(wait, stored, limit, refusal); });
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

// The code is gone (only its hash was kept), so a fresh one replaces it.
awaitable<Status> OtpIssuer::redeliver(const store::PaymentRecord& payment) {
  auto found = co_await runtime::run_blocking(blocking_, [&] { return otps_.find(payment.id); });
  if (!found) co_return std::move(found).error();
  if (!found.value()) co_return Ok{};
  const store::StoredChallenge stored = *found.value();
  if (stored.delivered_seq >= stored.challenge.seq || stored.challenge.state != OtpState::active) co_return Ok{};

  auto request = events::parse_payment_request(payment.request_json);
  if (!request || !request->otp) co_return Ok{};
  const auto now = clock_.now();
  auto code = generate_otp_code(policy_.digits, random_);
  if (!code) co_return std::move(code).error();
  store::StoredChallenge fresh = stored;
  fresh.destination_hash = destination_hash_of(stored, *request->otp, hasher_);
  store::StoredChallenge refused = fresh;  // the undelivered code stays; nothing goes out
  refused.last_result = kRateLimitedResult;
  fresh.challenge.seq = stored.challenge.seq + 1;
  fresh.challenge.code_hash = hasher_.hash(payment.id, fresh.challenge.seq, code.value());
  fresh.challenge.expires_at = now + policy_.ttl;
  fresh.challenge.last_sent_at = now;
  fresh.last_result = "reissued";
  const auto limit = destination_limit(policy_, now);
  auto sent = co_await runtime::run_blocking(blocking_,
                                             [&] { return otps_.send_code(fresh, refused, stored.version, limit); });
  if (!sent) co_return std::move(sent).error();
  if (sent.value() == store::CodeSendOutcome::raced) co_return Ok{};
  if (sent.value() == store::CodeSendOutcome::rate_limited) {
    log::warn("one-time code not re-issued: the destination is over its hourly limit", {{"payment_id", payment.id}});
    co_return Ok{};
  }
  co_return co_await publish_code(payment, fresh.challenge, request->otp->channel, request->otp->destination,
                                  code.value());
}

}  // namespace payments::worker
