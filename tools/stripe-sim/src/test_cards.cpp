#include "test_cards.hpp"

#include <array>

namespace payments::stripe_sim {
namespace {

constexpr std::string_view kDeclined = "Your card was declined.";

constexpr std::array<TestCard, 15> kCards{{
    {"pm_card_visa", "visa", "4242", CardOutcome::succeeds, {}, {}, {}, {}, false},
    {"pm_card_mastercard", "mastercard", "4444", CardOutcome::succeeds, {}, {}, {}, {}, false},
    {"pm_card_amex", "amex", "8431", CardOutcome::succeeds, {}, {}, {}, {}, false},
    {"pm_card_visa_debit", "visa", "5556", CardOutcome::succeeds, {}, {}, {}, {}, false},
    {"pm_card_visa_chargeDeclined", "visa", "0002", CardOutcome::declines, "card_declined", "generic_decline",
     kDeclined, {}, false},
    {"pm_card_visa_chargeDeclinedInsufficientFunds", "visa", "9995", CardOutcome::declines, "card_declined",
     "insufficient_funds", "Your card has insufficient funds.", {}, false},
    {"pm_card_visa_chargeDeclinedLostCard", "visa", "9987", CardOutcome::declines, "card_declined", "lost_card",
     kDeclined, {}, false},
    {"pm_card_visa_chargeDeclinedStolenCard", "visa", "9979", CardOutcome::declines, "card_declined",
     "stolen_card", kDeclined, {}, false},
    {"pm_card_chargeDeclinedExpiredCard", "visa", "0069", CardOutcome::declines, "expired_card", "expired_card",
     "Your card has expired.", "exp_month", false},
    {"pm_card_chargeDeclinedIncorrectCvc", "visa", "0127", CardOutcome::declines, "incorrect_cvc",
     "incorrect_cvc", "Your card's security code is incorrect.", "cvc", false},
    {"pm_card_chargeDeclinedProcessingError", "visa", "0119", CardOutcome::declines, "processing_error",
     "processing_error", "An error occurred while processing your card. Try again in a little bit.", {}, false},
    {"pm_card_authenticationRequired", "visa", "3184", CardOutcome::requires_action, {}, {}, {}, {}, false},
    {"pm_card_threeDSecure2Required", "visa", "3220", CardOutcome::requires_action, {}, {}, {}, {}, false},
    {"pm_card_refundFail", "visa", "5126", CardOutcome::succeeds, {}, {}, {}, {}, true},
    {"pm_card_radarBlock", "visa", "0019", CardOutcome::declines, "card_declined", "fraudulent", kDeclined, {},
     false},
}};

// Other names Stripe accepts for the same cards.
struct Alias {
  std::string_view alias;
  std::string_view name;
};
constexpr std::array<Alias, 20> kAliases{{
    {"tok_visa", "pm_card_visa"},
    {"tok_mastercard", "pm_card_mastercard"},
    {"tok_amex", "pm_card_amex"},
    {"tok_visa_debit", "pm_card_visa_debit"},
    {"pm_card_chargeDeclined", "pm_card_visa_chargeDeclined"},
    {"tok_chargeDeclined", "pm_card_visa_chargeDeclined"},
    {"pm_card_chargeDeclinedInsufficientFunds", "pm_card_visa_chargeDeclinedInsufficientFunds"},
    {"tok_chargeDeclinedInsufficientFunds", "pm_card_visa_chargeDeclinedInsufficientFunds"},
    {"pm_card_chargeDeclinedLostCard", "pm_card_visa_chargeDeclinedLostCard"},
    {"tok_chargeDeclinedLostCard", "pm_card_visa_chargeDeclinedLostCard"},
    {"pm_card_chargeDeclinedStolenCard", "pm_card_visa_chargeDeclinedStolenCard"},
    {"tok_chargeDeclinedStolenCard", "pm_card_visa_chargeDeclinedStolenCard"},
    {"tok_chargeDeclinedExpiredCard", "pm_card_chargeDeclinedExpiredCard"},
    {"tok_chargeDeclinedIncorrectCvc", "pm_card_chargeDeclinedIncorrectCvc"},
    {"tok_chargeDeclinedProcessingError", "pm_card_chargeDeclinedProcessingError"},
    {"tok_authenticationRequired", "pm_card_authenticationRequired"},
    {"tok_threeDSecure2Required", "pm_card_threeDSecure2Required"},
    {"tok_refundFail", "pm_card_refundFail"},
    {"tok_radarBlock", "pm_card_radarBlock"},
    {"tok_visa_chargeDeclined", "pm_card_visa_chargeDeclined"},
}};

const TestCard* by_name(std::string_view name) noexcept {
  for (const auto& card : kCards) {
    if (card.name == name) return &card;
  }
  return nullptr;
}

}  // namespace

const TestCard* find_test_card(std::string_view payment_method) noexcept {
  if (const auto* card = by_name(payment_method)) return card;
  for (const auto& alias : kAliases) {
    if (alias.alias == payment_method) return by_name(alias.name);
  }
  return nullptr;
}

}  // namespace payments::stripe_sim
