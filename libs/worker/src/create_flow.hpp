#pragma once
// payment.create: the payment's row (written straight as processing with its Stripe idempotency key, or
// pending when it waits for a one-time code), then driven as far as it goes; a request that cannot be read is
// rejected with a payment-failed event. Also give_up's part for a payment.create.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <string>
#include <string_view>
#include <utility>

#include "payments/core/result.hpp"
#include "payments/events/commands.hpp"
#include "payments/events/payment_events.hpp"
#include "payments/runtime/batcher.hpp"
#include "payments/store/payment_store.hpp"
#include "outbox.hpp"
#include "payment_driver.hpp"

namespace payments::worker {

class CreateFlow {
 public:
  CreateFlow(store::PaymentStore& payments, boost::asio::thread_pool& blocking, Outbox& outbox,
             PaymentDriver& driver);

  // The whole payment.create; it reads its processed mark together with its payment.
  boost::asio::awaitable<Status> create_payment(const events::CommandEnvelope& command);
  // give_up's part for a payment.create: fail the payment if Stripe was never asked about it. Best effort.
  boost::asio::awaitable<void> fail_unasked(const events::CommandEnvelope& command);

 private:
  boost::asio::awaitable<Status> reject(const events::CommandEnvelope& command, const Error& error);
  // A payment-failed event for `command` without a payment row behind it; `step` makes its event id.
  [[nodiscard]] events::OutgoingMessage failed_event(const events::CommandEnvelope& command, std::string_view step,
                                                     events::Failure failure, bool echo_request) const;

  store::PaymentStore& payments_;
  boost::asio::thread_pool& blocking_;
  Outbox& outbox_;
  PaymentDriver& driver_;
  // A new command's first read and new payments' rows, batched across commands (see runtime::Batcher).
  runtime::Batcher<std::pair<std::string, std::string>, Result<store::CommandLookup>> lookups_;
  runtime::Batcher<store::NewPayment, Result<store::CreateResult>> creates_;
};

}  // namespace payments::worker
