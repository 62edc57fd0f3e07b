#pragma once
// Poison for chaos case e, mixed into the steady load one at a time: through Kafka, an amount no integer holds,
// bytes that are not UTF-8, a refund and a one-time code for payments that do not exist, and a refund whose
// processing fails every time (its payment's stored row cannot be read); through the API, the same kinds of
// request. Knows how each must end.

#include <string>
#include <utility>
#include <vector>

#include "chaos/offered.hpp"
#include "support/stack.hpp"

namespace payments::testing {

class Poison {
 public:
  // Makes the payment whose row cannot be read (charged once, then its stored status made unknown).
  explicit Poison(Stack& stack);

  // The next kind of poison, in turn, through Kafka and through the API.
  void inject_next();
  int injected() const { return injected_; }

  // The poison payments with the charges they must have (none; one for the unreadable payment's first charge).
  Offered offered() const;
  // CHECKs that each poison ended as it must: the overflow refused with a validation_error payment.failed, the
  // bytes that are not UTF-8 dead-lettered once each, the refund of a missing payment failed with
  // payment_not_found, the code for a missing payment creating nothing, the failing refund dead-lettered with
  // internal_error once per command and never sent to Stripe; and the API's answers 400 or 404.
  void check_outcomes();

 private:
  Stack& stack_;
  std::string tag_;
  std::string unreadable_;  // the payment whose row cannot be read
  int injected_ = 0;
  std::vector<std::string> overflowing_;
  std::vector<std::string> not_utf8_;
  std::vector<std::string> refunded_missing_;
  std::vector<std::string> coded_missing_;
  int failing_refunds_ = 0;
  // What the API answered each poison request, and what it should have: (what, answered, expected).
  struct ApiAnswer {
    std::string what;
    int status = 0;
    int expected = 0;
  };
  std::vector<ApiAnswer> api_answers_;
};

}  // namespace payments::testing
