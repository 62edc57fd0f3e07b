#pragma once
// The rules the one-time-code units share: a challenge's end as a payment move, and the destination's limit.

#include <optional>
#include <string>
#include <string_view>

#include "payments/core/otp.hpp"
#include "payments/events/topics.hpp"
#include "payments/store/otp_store.hpp"
#include "payments/store/payment_store.hpp"

namespace payments::worker {

// The challenge's last_result (on /status) when a resend or re-issue was refused for the destination's limit.
inline constexpr const char* kRateLimitedResult = "rate_limited";

// The payment's move to failed with `code`, and its payment-failed event.
store::Transition failure_transition(const events::TopicNames& topics, const store::PaymentRecord& p,
                                     std::string_view code, const std::string& message);

// The payment's move when its challenge ends: verified -> processing, expired/locked -> failed.
// `environment`: named in the Stripe key recorded for the charge (ProcessorOptions::environment).
std::optional<store::Transition> transition_for(const events::TopicNames& topics, std::string_view environment,
                                                const store::PaymentRecord& p, const OtpChallenge& challenge);

// The destination's hourly limit as of `now`, for the store to check atomically with the send.
store::DestinationLimit destination_limit(const OtpPolicy& policy, OtpTime now);

// The hash a challenge's codes are counted under; challenges started before it was stored get it from the
// payment's request.
std::string destination_hash_of(const store::StoredChallenge& stored, const OtpDelivery& delivery,
                                const OtpHasher& hasher);

}  // namespace payments::worker
