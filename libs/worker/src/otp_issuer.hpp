#pragma once
// Issuing one-time codes: the first code of a payment created with an `otp` object, a fresh one when a
// redelivered command finds the last never published, and publishing a code on payment-otp. The code exists
// in clear only in memory and on payment-otp; MySQL holds its keyed hash.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <string>

#include "payments/core/clock.hpp"
#include "payments/core/otp.hpp"
#include "payments/core/random.hpp"
#include "payments/core/result.hpp"
#include "payments/store/otp_store.hpp"
#include "payments/store/payment_store.hpp"
#include "outbox.hpp"

namespace payments::worker {

class OtpIssuer {
 public:
  OtpIssuer(store::OtpStore& otps, const OtpHasher& hasher, RandomSource& random, const Clock& clock,
            OtpPolicy policy, boost::asio::thread_pool& blocking, Outbox& outbox);

  // A pending payment's first code: the payment moves to otp_required (or fails over the destination's limit).
  boost::asio::awaitable<Status> start(const store::PaymentRecord& payment, const OtpDelivery& delivery);
  // A code issued but never published (the worker died in between) is replaced by a fresh one.
  boost::asio::awaitable<Status> redeliver(const store::PaymentRecord& payment);
  // Publishes `code` on payment-otp and marks the challenge's code delivered.
  boost::asio::awaitable<Status> publish_code(const store::PaymentRecord& payment, const OtpChallenge& challenge,
                                              const std::string& channel, const std::string& destination,
                                              const std::string& code);

 private:
  store::OtpStore& otps_;
  const OtpHasher& hasher_;
  RandomSource& random_;
  const Clock& clock_;
  OtpPolicy policy_;
  boost::asio::thread_pool& blocking_;
  Outbox& outbox_;
};

}  // namespace payments::worker
