#include "otp_transitions.hpp"

#include "payments/core/stripe_keys.hpp"
#include "owed_events.hpp"

namespace payments::worker {

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

store::DestinationLimit destination_limit(const OtpPolicy& policy, OtpTime now) {
  return store::DestinationLimit{.max_codes = policy.max_codes_per_destination_per_hour,
                                 .since = now - kOtpDestinationWindow};
}

std::string destination_hash_of(const store::StoredChallenge& stored, const OtpDelivery& delivery,
                                const OtpHasher& hasher) {
  if (!stored.destination_hash.empty()) return stored.destination_hash;
  return hasher.destination_hash(delivery.channel, delivery.destination);
}

}  // namespace payments::worker
