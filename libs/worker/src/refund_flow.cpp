#include "refund_flow.hpp"

#include "payments/core/log.hpp"
#include "payments/core/stripe_keys.hpp"
#include "payments/events/payment_events.hpp"
#include "payments/runtime/awaitable.hpp"
#include "owed_events.hpp"

namespace payments::worker {

using boost::asio::awaitable;

RefundFlow::RefundFlow(store::PaymentStore& payments, store::RefundStore& refunds, boost::asio::thread_pool& blocking,
                       std::string environment, Outbox& outbox, StripeRefunds& stripe_refunds)
    : payments_(payments), refunds_(refunds), blocking_(blocking), environment_(std::move(environment)),
      outbox_(outbox), stripe_refunds_(stripe_refunds) {}

awaitable<Status> RefundFlow::create_refund(const events::CommandEnvelope& command) {
  auto request = events::parse_refund_request(command.data_json, true);
  if (!request) {
    // Without a usable refund_id there is no refund to record; tell the producer on payment-refunded.
    events::PaymentEvent e;
    e.event_id = events::event_id_for(command.payment_id, "refund-rejected/" + command.command_id);
    e.type = events::event_type::kRefundFailed;
    e.merchant_id = outbox_.merchant_of(command);
    e.payment_id = command.payment_id;
    e.status = "failed";
    e.occurred_at = rfc3339_now();
    std::string message = request.error().message;
    if (!request.error().field.empty()) message = request.error().field + " " + message;
    e.failure = events::Failure{std::string(to_string(request.error().code)), "", message};
    events::OutgoingMessage out{outbox_.topics().refunded, command.payment_id, events::serialize(e), {}};
    if (auto delivered = co_await outbox_.publish(std::move(out)); !delivered) co_return delivered;
    co_return co_await outbox_.finish(command, "rejected");
  }
  const RefundCommandData& r = request.value();

  store::RefundRecord proposed;
  proposed.id = r.refund_id;
  proposed.payment_id = command.payment_id;
  proposed.merchant_id = outbox_.merchant_of(command);
  proposed.requested_amount = r.amount;
  proposed.reason = r.reason;
  proposed.request_hash = events::refund_fingerprint(command.payment_id, r);
  proposed.stripe_idempotency_key =
      refund_idempotency_key(StripeKeyOwner{environment_, proposed.merchant_id}, command.payment_id, r.refund_id);
  // Its amount's currency is the payment's, which the store takes from the payment it locks; another merchant's
  // payment is no payment, and the refund is refused as payment_not_found.

  const auto topics = outbox_.topics();
  auto on_rejected = [topics](const store::PaymentRecord& p, const store::RefundRecord& refund) {
    return refund_event(topics, p, refund);
  };
  auto reserved = co_await runtime::run_blocking(blocking_,
                                                 [&] { return refunds_.reserve(proposed, on_rejected); });
  if (!reserved) co_return std::move(reserved).error();
  const store::RefundRecord refund = reserved->refund;

  if (refund.request_hash != proposed.request_hash || refund.merchant_id != proposed.merchant_id) {
    co_return co_await outbox_.dead_letter_command(command, "refund_id already belongs to a different refund");
  }
  if (refund.failure_code == "payment_not_found" && reserved->newly_decided) {
    const auto event = unknown_payment_refund_event(outbox_.topics(), command.payment_id, refund);
    events::OutgoingMessage out{event.topic, command.payment_id, event.payload, {}};
    if (auto delivered = co_await outbox_.publish(std::move(out)); !delivered) co_return delivered;
  }
  if (refund.status == RefundStatus::pending && refund.reserved) {
    auto payment = co_await runtime::run_blocking(blocking_,
                                                  [&] { return payments_.find(command.payment_id); });
    if (!payment) co_return std::move(payment).error();
    if (!payment.value()) co_return Error::internal("the refunded payment " + command.payment_id + " vanished");
    auto refunded = co_await stripe_refunds_.refund_at_stripe(*payment.value(), refund);
    if (!refunded) co_return refunded;
  }
  if (auto flushed = co_await outbox_.flush_outbox(command.payment_id); !flushed) co_return flushed;
  log::info("refund processed", {{"payment_id", command.payment_id}, {"refund_id", refund.id}});
  co_return co_await outbox_.finish(command, "applied");
}

}  // namespace payments::worker
