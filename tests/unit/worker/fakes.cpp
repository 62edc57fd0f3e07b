#include "fakes.hpp"

#include <boost/asio/post.hpp>

#include <stdexcept>

#include "payments/core/refund.hpp"

namespace payments::worker::testing {
namespace {

using Lock = std::lock_guard<std::mutex>;

// The repositories' compare-and-set: the payment is at the version read and the move is allowed.
bool apply_transition(StoreState& s, const store::Transition& t) {
  auto it = s.payments.find(t.payment_id);
  if (it == s.payments.end() || it->second.version != t.expected_version || !can_transition(it->second.status, t.to)) {
    return false;
  }
  it->second = store::after(it->second, t);
  if (t.event) s.outbox.push_back({*t.event, false});
  return true;
}

Money reserved_total(const StoreState& s, const store::PaymentRecord& payment) {
  Money total = Money::zero(payment.amount.currency());
  for (const auto& [id, r] : s.refunds) {
    if (r.payment_id == payment.id && r.reserved &&
        (r.status == RefundStatus::pending || r.status == RefundStatus::succeeded)) {
      total = total.plus(r.amount.value()).value();
    }
  }
  return total;
}

int sends_since(const StoreState& s, const std::string& destination_hash, OtpTime since) {
  int n = 0;
  for (const auto& [hash, at] : s.destination_sends) n += hash == destination_hash && at >= since ? 1 : 0;
  return n;
}

template <typename T>
void post_answer(boost::asio::io_context& io, StripeCallback<T> done, StripeResult<T> answer) {
  boost::asio::post(io, [done = std::move(done), answer = std::move(answer)]() mutable { done(std::move(answer)); });
}

StripeError stripe_error(StripeFailureKind kind, std::string code, std::string message) {
  StripeError e;
  e.kind = kind;
  e.retryable = is_retryable(kind);
  e.http_status = kind == StripeFailureKind::declined ? 402 : kind == StripeFailureKind::transient ? 503 : 0;
  e.type = kind == StripeFailureKind::declined ? "card_error" : "api_error";
  e.code = std::move(code);
  e.message = std::move(message);
  return e;
}

}  // namespace

// --- Faults ---

void Faults::fail(std::string operation, Error error, int times) {
  Lock lock(mutex_);
  faults_[std::move(operation)] = Fault{std::move(error), times};
}

void Faults::throw_on(std::string operation, int times) {
  Lock lock(mutex_);
  faults_[std::move(operation)] = Fault{std::nullopt, times};
}

void Faults::clear() {
  Lock lock(mutex_);
  faults_.clear();
}

std::optional<Error> Faults::check(std::string_view operation) {
  Lock lock(mutex_);
  auto it = faults_.find(operation);
  if (it == faults_.end()) it = faults_.find(std::string_view("*"));
  if (it == faults_.end() || it->second.times == 0) return std::nullopt;
  if (it->second.times > 0) --it->second.times;
  if (!it->second.error) throw std::runtime_error("fake store fault in " + std::string(operation));
  return it->second.error;
}

// --- StoreState ---

std::optional<store::PaymentRecord> StoreState::payment(const std::string& id) {
  Lock lock(mutex);
  auto it = payments.find(id);
  if (it == payments.end()) return std::nullopt;
  return it->second;
}

std::vector<store::OutboxEvent> StoreState::unpublished(const std::string& payment_id) {
  Lock lock(mutex);
  std::vector<store::OutboxEvent> out;
  for (const auto& row : outbox) {
    if (!row.published && row.event.payment_id == payment_id) out.push_back(row.event);
  }
  return out;
}

// --- FakePaymentStore ---

Result<std::optional<store::PaymentRecord>> FakePaymentStore::find(const std::string& payment_id) {
  if (auto e = s_.faults.check("payments.find")) return *e;
  return s_.payment(payment_id);
}

Result<std::vector<store::CommandLookup>> FakePaymentStore::lookup_all(
    const std::vector<std::pair<std::string, std::string>>& commands) {
  if (auto e = s_.faults.check("payments.lookup_all")) return *e;
  Lock lock(s_.mutex);
  std::vector<store::CommandLookup> out;
  for (const auto& [command_id, payment_id] : commands) {
    store::CommandLookup found{s_.processed.contains(command_id), std::nullopt};
    if (auto it = s_.payments.find(payment_id); it != s_.payments.end()) found.payment = it->second;
    out.push_back(std::move(found));
  }
  return out;
}

std::vector<Result<store::CreateResult>> FakePaymentStore::create_all(const std::vector<store::NewPayment>& payments) {
  std::vector<Result<store::CreateResult>> out;
  for (const auto& row : payments) {
    if (auto e = s_.faults.check("payments.create_all")) {
      out.emplace_back(*e);
      continue;
    }
    Lock lock(s_.mutex);
    const bool taken = s_.payments.contains(row.payment.id);
    if (!taken) s_.payments.emplace(row.payment.id, row.payment);
    out.emplace_back(store::CreateResult{taken ? store::CreateOutcome::exists : store::CreateOutcome::created, {}});
  }
  return out;
}

std::vector<Result<bool>> FakePaymentStore::apply_all(const std::vector<store::TransitionWrite>& writes) {
  std::vector<Result<bool>> out;
  for (const auto& w : writes) {
    if (auto e = s_.faults.check("payments.apply_all")) {
      out.emplace_back(*e);
      continue;
    }
    Lock lock(s_.mutex);
    // The move is judged on the payment as the writer read it, as PaymentRepository::apply_from does.
    const bool allowed = can_transition(w.from.status, w.transition.to);
    const bool applied = allowed && apply_transition(s_, w.transition);
    if (applied && w.command) s_.processed.emplace(w.command->command_id, *w.command);
    out.emplace_back(applied);
  }
  return out;
}

Result<bool> FakePaymentStore::record_dispute(const std::string& payment_id, const store::PaymentDispute& dispute) {
  if (auto e = s_.faults.check("payments.record_dispute")) return *e;
  Lock lock(s_.mutex);
  auto it = s_.payments.find(payment_id);
  if (it == s_.payments.end() || (it->second.dispute && it->second.dispute->id != dispute.id)) return false;
  it->second.dispute = dispute;
  return true;
}

Result<std::vector<store::PaymentRecord>> FakePaymentStore::claim_for_check(PaymentStatus status, std::chrono::seconds,
                                                                            int limit, std::chrono::seconds,
                                                                            std::chrono::seconds) {
  if (auto e = s_.faults.check("payments.claim_for_check")) return *e;
  Lock lock(s_.mutex);
  std::vector<store::PaymentRecord> out;
  for (const auto& [id, p] : s_.payments) {
    if (p.status == status && static_cast<int>(out.size()) < limit) out.push_back(p);
  }
  return out;
}

Result<bool> FakePaymentStore::is_processed(const std::string& command_id) {
  if (auto e = s_.faults.check("payments.is_processed")) return *e;
  Lock lock(s_.mutex);
  return s_.processed.contains(command_id);
}

Status FakePaymentStore::record_processed(const store::ProcessedCommand& command) {
  if (auto e = s_.faults.check("payments.record_processed")) return *e;
  Lock lock(s_.mutex);
  s_.processed.emplace(command.command_id, command);
  return Ok{};
}

Result<std::vector<store::OutboxEvent>> FakePaymentStore::unpublished_events(const std::string& payment_id) {
  if (auto e = s_.faults.check("payments.unpublished_events")) return *e;
  return s_.unpublished(payment_id);
}

Result<std::vector<store::OutboxEvent>> FakePaymentStore::stale_unpublished_events(std::chrono::seconds, int limit) {
  if (auto e = s_.faults.check("payments.stale_unpublished_events")) return *e;
  Lock lock(s_.mutex);
  std::vector<store::OutboxEvent> out;
  for (const auto& row : s_.outbox) {
    if (!row.published && static_cast<int>(out.size()) < limit) out.push_back(row.event);
  }
  return out;
}

Status FakePaymentStore::mark_published(const std::string& event_id) {
  return mark_published(std::vector<std::string>{event_id});
}

Status FakePaymentStore::mark_published(const std::vector<std::string>& event_ids) {
  if (auto e = s_.faults.check("payments.mark_published")) return *e;
  Lock lock(s_.mutex);
  for (auto& row : s_.outbox) {
    for (const auto& id : event_ids) row.published = row.published || row.event.event_id == id;
  }
  return Ok{};
}

// --- FakeRefundStore ---

Result<std::optional<store::RefundRecord>> FakeRefundStore::find(const std::string& refund_id) {
  if (auto e = s_.faults.check("refunds.find")) return *e;
  Lock lock(s_.mutex);
  auto it = s_.refunds.find(refund_id);
  if (it == s_.refunds.end()) return std::optional<store::RefundRecord>();
  return std::optional(it->second);
}

Result<std::optional<store::RefundRecord>> FakeRefundStore::find_by_stripe_id(const std::string& stripe_refund_id) {
  if (auto e = s_.faults.check("refunds.find_by_stripe_id")) return *e;
  Lock lock(s_.mutex);
  for (const auto& [id, r] : s_.refunds) {
    if (r.stripe_refund_id == stripe_refund_id) return std::optional(r);
  }
  return std::optional<store::RefundRecord>();
}

Result<std::vector<store::RefundRecord>> FakeRefundStore::for_payment(const std::string& payment_id) {
  if (auto e = s_.faults.check("refunds.for_payment")) return *e;
  Lock lock(s_.mutex);
  std::vector<store::RefundRecord> out;
  for (const auto& [id, r] : s_.refunds) {
    if (r.payment_id == payment_id) out.push_back(r);
  }
  return out;
}

Result<store::RefundStore::Reservation> FakeRefundStore::reserve(const store::RefundRecord& proposed,
                                                                 const store::RefundEventFactory& on_rejected) {
  if (auto e = s_.faults.check("refunds.reserve")) return *e;
  Lock lock(s_.mutex);
  Reservation out;
  auto payment = s_.payments.find(proposed.payment_id);
  const bool has_payment = payment != s_.payments.end() && payment->second.merchant_id == proposed.merchant_id;
  auto it = s_.refunds.find(proposed.id);
  if (it == s_.refunds.end()) {
    store::RefundRecord fresh = proposed;
    fresh.amount.reset();
    if (has_payment) fresh.amount = Money::zero(payment->second.amount.currency());
    if (!has_payment) {
      fresh.status = RefundStatus::failed;
      fresh.failure_code = "payment_not_found";
      fresh.failure_message = "no payment " + proposed.payment_id;
    }
    it = s_.refunds.emplace(proposed.id, fresh).first;
    if (!has_payment) return Reservation{it->second, true};
  }
  store::RefundRecord& refund = it->second;
  if (refund.reserved || refund.status != RefundStatus::pending || !has_payment) return Reservation{refund, false};
  const auto decision = decide_refund(payment->second.status, payment->second.amount,
                                      reserved_total(s_, payment->second), refund.requested_amount);
  ++refund.version;
  if (decision.accepted()) {
    refund.amount = decision.amount;
    refund.reserved = true;
  } else {
    refund.status = RefundStatus::failed;
    refund.failure_code = decision.failure_code;
    refund.failure_message = decision.failure_message;
    if (on_rejected) {
      if (auto event = on_rejected(payment->second, refund)) s_.outbox.push_back({*event, false});
    }
  }
  return Reservation{refund, true};
}

Status FakeRefundStore::note_stripe_refund(const std::string& refund_id, const std::string& stripe_refund_id) {
  if (auto e = s_.faults.check("refunds.note_stripe_refund")) return *e;
  Lock lock(s_.mutex);
  if (auto it = s_.refunds.find(refund_id); it != s_.refunds.end() && it->second.status == RefundStatus::pending) {
    it->second.stripe_refund_id = stripe_refund_id;
  }
  return Ok{};
}

Result<bool> FakeRefundStore::settle(const std::string& refund_id, RefundStatus outcome,
                                     const std::string& stripe_refund_id, const std::string& failure_code,
                                     const std::string& failure_message, const store::RefundEventFactory& event) {
  if (auto e = s_.faults.check("refunds.settle")) return *e;
  Lock lock(s_.mutex);
  auto it = s_.refunds.find(refund_id);
  if (it == s_.refunds.end()) return false;
  store::RefundRecord& refund = it->second;
  auto payment = s_.payments.find(refund.payment_id);
  if (payment == s_.payments.end() || !refund.reserved) return false;
  const bool settling = refund.status == RefundStatus::pending && outcome != RefundStatus::pending;
  const bool reversing = refund.status == RefundStatus::succeeded && outcome == RefundStatus::failed;
  if (!settling && !reversing) return false;
  refund.status = outcome;
  if (!stripe_refund_id.empty()) refund.stripe_refund_id = stripe_refund_id;
  refund.failure_code = failure_code;
  refund.failure_message = failure_message;
  ++refund.version;
  if (outcome == RefundStatus::succeeded || reversing) {
    store::PaymentRecord& p = payment->second;
    p.amount_refunded = (reversing ? p.amount_refunded.minus(refund.amount.value())
                                   : p.amount_refunded.plus(refund.amount.value())).value();
    p.status = status_after_refunds(p.amount, p.amount_refunded);
    ++p.version;
  }
  if (event) {
    if (auto e = event(payment->second, refund)) s_.outbox.push_back({*e, false});
  }
  return true;
}

Result<std::vector<store::RefundRecord>> FakeRefundStore::claim_for_check(std::chrono::seconds, int limit,
                                                                          std::chrono::seconds, std::chrono::seconds) {
  if (auto e = s_.faults.check("refunds.claim_for_check")) return *e;
  Lock lock(s_.mutex);
  std::vector<store::RefundRecord> out;
  for (const auto& [id, r] : s_.refunds) {
    if (r.status == RefundStatus::pending && static_cast<int>(out.size()) < limit) out.push_back(r);
  }
  return out;
}

// --- FakeOtpStore ---

Result<std::optional<store::StoredChallenge>> FakeOtpStore::find(const std::string& payment_id) {
  if (auto e = s_.faults.check("otps.find")) return *e;
  Lock lock(s_.mutex);
  auto it = s_.challenges.find(payment_id);
  if (it == s_.challenges.end()) return std::optional<store::StoredChallenge>();
  return std::optional(it->second);
}

Result<store::CodeSendOutcome> FakeOtpStore::start(const store::Transition& transition,
                                                   const store::StoredChallenge& challenge,
                                                   const store::DestinationLimit& limit,
                                                   const store::Transition& refusal) {
  if (auto e = s_.faults.check("otps.start")) return *e;
  if (challenge.destination_hash.empty()) return Error::internal("a one-time code needs its destination hash");
  Lock lock(s_.mutex);
  if (sends_since(s_, challenge.destination_hash, limit.since) >= limit.max_codes) {
    return apply_transition(s_, refusal) ? store::CodeSendOutcome::rate_limited : store::CodeSendOutcome::raced;
  }
  if (!apply_transition(s_, transition)) return store::CodeSendOutcome::raced;
  store::StoredChallenge stored = challenge;
  stored.version = 0;
  stored.delivered_seq = 0;
  s_.challenges[challenge.challenge.payment_id] = stored;
  s_.destination_sends.emplace_back(challenge.destination_hash, challenge.challenge.last_sent_at);
  return store::CodeSendOutcome::sent;
}

Result<bool> FakeOtpStore::update(const store::StoredChallenge& challenge, int expected_version,
                                  const std::optional<store::Transition>& payment_transition) {
  if (auto e = s_.faults.check("otps.update")) return *e;
  Lock lock(s_.mutex);
  auto it = s_.challenges.find(challenge.challenge.payment_id);
  if (it == s_.challenges.end() || it->second.version != expected_version) return false;
  if (payment_transition && !apply_transition(s_, *payment_transition)) return false;
  const std::uint32_t delivered = it->second.delivered_seq;
  it->second = challenge;
  it->second.delivered_seq = delivered;
  it->second.version = expected_version + 1;
  return true;
}

Result<store::CodeSendOutcome> FakeOtpStore::send_code(const store::StoredChallenge& sent,
                                                       const store::StoredChallenge& refused, int expected_version,
                                                       const store::DestinationLimit& limit) {
  if (auto e = s_.faults.check("otps.send_code")) return *e;
  Lock lock(s_.mutex);
  auto it = s_.challenges.find(sent.challenge.payment_id);
  if (it == s_.challenges.end() || it->second.version != expected_version) return store::CodeSendOutcome::raced;
  const std::uint32_t delivered = it->second.delivered_seq;
  const bool over = sends_since(s_, sent.destination_hash, limit.since) >= limit.max_codes;
  it->second = over ? refused : sent;
  it->second.delivered_seq = delivered;
  it->second.version = expected_version + 1;
  if (over) return store::CodeSendOutcome::rate_limited;
  s_.destination_sends.emplace_back(sent.destination_hash, sent.challenge.last_sent_at);
  return store::CodeSendOutcome::sent;
}

Status FakeOtpStore::mark_delivered(const std::string& payment_id, std::uint32_t seq) {
  if (auto e = s_.faults.check("otps.mark_delivered")) return *e;
  Lock lock(s_.mutex);
  if (auto it = s_.challenges.find(payment_id); it != s_.challenges.end()) {
    it->second.delivered_seq = std::max(it->second.delivered_seq, seq);
  }
  return Ok{};
}

Result<std::vector<store::StoredChallenge>> FakeOtpStore::due(OtpTime now, int limit) {
  if (auto e = s_.faults.check("otps.due")) return *e;
  Lock lock(s_.mutex);
  std::vector<store::StoredChallenge> out;
  for (const auto& [id, c] : s_.challenges) {
    if (c.challenge.state == OtpState::active && c.challenge.expires_at <= now &&
        static_cast<int>(out.size()) < limit) {
      out.push_back(c);
    }
  }
  return out;
}

// --- FakePublisher ---

void FakePublisher::produce(events::OutgoingMessage message, DeliveryCallback on_delivery) {
  Status verdict = Ok{};
  if (down.load()) {
    verdict = Error::unavailable("Kafka is down (fake)");
  } else {
    Lock lock(mutex_);
    sent_.push_back(std::move(message));
  }
  boost::asio::post(io_, [done = std::move(on_delivery), verdict]() mutable { done(verdict); });
}

std::vector<events::OutgoingMessage> FakePublisher::on(const std::string& topic) {
  Lock lock(mutex_);
  std::vector<events::OutgoingMessage> out;
  for (const auto& m : sent_) {
    if (m.topic == topic) out.push_back(m);
  }
  return out;
}

// --- FakeStripe ---

FakeStripe::Answer FakeStripe::next() {
  Lock lock(mutex_);
  if (script_.empty()) return Answer::succeed;
  const Answer a = script_.front();
  script_.pop_front();
  return a;
}

void FakeStripe::create_payment_intent(PaymentIntentRequest request, StripeCallback<PaymentIntent> done) {
  ++intents_created;
  const Answer answer = next();
  {
    Lock lock(mutex_);
    intent_requests.push_back(request);
  }
  PaymentIntent intent{.amount = request.amount};
  intent.id = "pi_" + request.payment_id;
  intent.metadata_payment_id = request.payment_id;
  switch (answer) {
    case Answer::succeed:
      intent.status = "succeeded";
      intent.latest_charge = "ch_" + request.payment_id;
      return post_answer<PaymentIntent>(io_, std::move(done), intent);
    case Answer::requires_action:
      intent.status = "requires_action";
      intent.redirect_url = "https://stripe.test/3ds/" + intent.id;
      return post_answer<PaymentIntent>(io_, std::move(done), intent);
    case Answer::decline: {
      StripeError e = stripe_error(StripeFailureKind::declined, "card_declined", "Your card was declined.");
      e.decline_code = "insufficient_funds";
      intent.status = "requires_payment_method";
      e.payment_intent = std::make_shared<const PaymentIntent>(intent);
      return post_answer<PaymentIntent>(io_, std::move(done), e);
    }
    case Answer::transient_error:
      return post_answer<PaymentIntent>(io_, std::move(done),
                                        stripe_error(StripeFailureKind::transient, "", "Stripe answered 503"));
    case Answer::unknown_outcome:
      return post_answer<PaymentIntent>(io_, std::move(done),
                                        stripe_error(StripeFailureKind::unknown_outcome, "", "no answer in time"));
    case Answer::throw_now: throw std::runtime_error("fake Stripe client threw");
  }
}

void FakeStripe::retrieve_payment_intent(std::string id, StripeCallback<PaymentIntent> done) {
  post_answer<PaymentIntent>(io_, std::move(done), stripe_error(StripeFailureKind::not_found, "resource_missing", id));
}

void FakeStripe::cancel_payment_intent(std::string id, std::string, std::string, StripeCallback<PaymentIntent> done) {
  post_answer<PaymentIntent>(io_, std::move(done), stripe_error(StripeFailureKind::not_found, "resource_missing", id));
}

void FakeStripe::search_payment_intents_by_metadata(std::string, std::string,
                                                    StripeCallback<std::vector<PaymentIntent>> done) {
  post_answer<std::vector<PaymentIntent>>(io_, std::move(done), std::vector<PaymentIntent>{});
}

void FakeStripe::create_refund(RefundRequest request, StripeCallback<Refund> done) {
  ++refunds_created;
  const Answer answer = next();
  {
    Lock lock(mutex_);
    refund_requests.push_back(request);
  }
  if (answer == Answer::throw_now) throw std::runtime_error("fake Stripe client threw");
  if (answer != Answer::succeed) {
    return post_answer<Refund>(io_, std::move(done),
                               stripe_error(StripeFailureKind::unknown_outcome, "", "no answer in time"));
  }
  // The amount asked for, in `refund_currency` (which a test sets to make Stripe's answer disagree).
  Refund refund{.amount = Money::parse(request.amount ? request.amount->minor() : 0, refund_currency).value()};
  refund.id = "re_" + std::to_string(refunds_created.load());
  refund.status = "succeeded";
  refund.payment_intent = request.payment_intent;
  post_answer<Refund>(io_, std::move(done), refund);
}

void FakeStripe::retrieve_refund(std::string id, StripeCallback<Refund> done) {
  post_answer<Refund>(io_, std::move(done), stripe_error(StripeFailureKind::not_found, "resource_missing", id));
}

}  // namespace payments::worker::testing
