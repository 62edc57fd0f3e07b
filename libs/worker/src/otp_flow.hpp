#pragma once
// One-time-code step-up: a payment created with an `otp` object waits in otp_required until its code is
// verified. payment.otp.send resends a code, payment.otp.verify checks one (and charges the payment once it
// is verified), and a sweeper fails the payments whose code expired with nobody verifying it.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <string>

#include "payments/core/clock.hpp"
#include "payments/core/otp.hpp"
#include "payments/core/random.hpp"
#include "payments/core/result.hpp"
#include "payments/events/commands.hpp"
#include "payments/store/otp_store.hpp"
#include "payments/store/payment_store.hpp"
#include "otp_issuer.hpp"
#include "outbox.hpp"
#include "payment_driver.hpp"

namespace payments::worker {

class OtpFlow {
 public:
  // environment: named in the Stripe key recorded when a verified payment moves to processing.
  OtpFlow(store::PaymentStore& payments, store::OtpStore& otps, const OtpHasher& hasher, RandomSource& random,
          const Clock& clock, OtpPolicy policy, std::string environment, boost::asio::thread_pool& blocking,
          Outbox& outbox, OtpIssuer& issuer, PaymentDriver& driver);

  boost::asio::awaitable<Status> send(const events::CommandEnvelope& command);
  boost::asio::awaitable<Status> verify(const events::CommandEnvelope& command);
  // Fails the payments whose one-time code expired with nobody verifying it. Returns how many.
  boost::asio::awaitable<int> expire_due();

 private:
  // A payment waiting for its code, with its challenge; or why a command about codes has nothing to do.
  struct WaitingChallenge {
    enum class Kind { unavailable, ignored, waiting };
    Kind kind = Kind::unavailable;
    Error error;         // for unavailable
    std::string reason;  // for ignored
    std::optional<store::PaymentRecord> payment;  // for waiting
    store::StoredChallenge stored;
  };
  boost::asio::awaitable<WaitingChallenge> load_waiting(const std::string& payment_id, const std::string& merchant_id);

  store::PaymentStore& payments_;
  store::OtpStore& otps_;
  const OtpHasher& hasher_;
  RandomSource& random_;
  const Clock& clock_;
  OtpPolicy policy_;
  std::string environment_;
  boost::asio::thread_pool& blocking_;
  Outbox& outbox_;
  OtpIssuer& issuer_;
  PaymentDriver& driver_;
};

}  // namespace payments::worker
