// Refund routes: POST/GET /api/v1/payments/{id}/refunds and GET /api/v1/refunds/{id}.
#include "api_impl.hpp"
#include "payments/api/errors.hpp"
#include "payments/core/ids.hpp"
#include "payments/core/log.hpp"
#include "payments/core/stripe_keys.hpp"
#include "payments/events/commands.hpp"
#include "payments/runtime/awaitable.hpp"
#include "views.hpp"

namespace payments::api {
namespace {
using boost::asio::awaitable;
using runtime::run_blocking;
constexpr const char* kRefundScope = "refunds.create";
}  // namespace

awaitable<http::Response> PaymentsApi::Impl::create_refund(const http::Request& request, std::string payment_id,
                                                            const auth::Principal& caller) {
  auto parsed = events::parse_refund_request(request.body.empty() ? "{}" : request.body, false);
  if (!parsed) co_return error_response(parsed.error());
  auto header = idempotency_key(request);
  if (!header) co_return error_response(header.error());

  RefundCommandData data = parsed.value();
  data.refund_id = RefundId::generate(deps.random).str();
  const std::string fingerprint = events::refund_fingerprint(payment_id, data);
  const std::string accepted = refund_accepted_view(data.refund_id);
  std::optional<store::IdempotencyRecord> key;
  if (header.value()) {
    key = store::IdempotencyRecord{caller.merchant_id, kRefundScope, *header.value(), fingerprint, data.refund_id, 202,
                                   accepted};
  }

  store::RefundRecord record;
  record.id = data.refund_id;
  record.payment_id = payment_id;
  record.merchant_id = caller.merchant_id;
  record.requested_amount = data.amount;
  record.reason = data.reason;
  record.request_hash = fingerprint;
  record.stripe_idempotency_key =
      refund_idempotency_key({deps.environment, caller.merchant_id}, payment_id, data.refund_id);

  auto created = co_await run_blocking(deps.blocking, [&] { return deps.refunds.create(record, key); });
  if (!created) co_return error_response(Error::unavailable("refunds are temporarily unavailable; retry with the "
                                                            "same Idempotency-Key"));
  using Outcome = store::CreateOutcome;
  switch (created->outcome) {
    case Outcome::replayed: {
      const auto& previous = *created->previous;
      http::Response replay = json_response(previous.response_status, previous.response_body);
      replay.with_header("Location", "/api/v1/refunds/" + previous.resource_id)
          .with_header("Idempotent-Replayed", "true");
      co_return replay;
    }
    case Outcome::conflict:
      co_return error_response({ErrorCode::idempotency_conflict,
                                "this Idempotency-Key was used with a different refund request", "Idempotency-Key"});
    case Outcome::payment_missing: co_return error_response(not_found("payment"));
    case Outcome::exists: co_return error_response(Error::internal("refund id collision; retry"));
    case Outcome::created: break;
  }

  auto published = co_await publish(
      command_message(events::CommandType::refund_create, payment_id, caller, events::refund_request_json(data)));
  if (!published && events::may_have_been_written(published.error())) {
    // As for payments: the broker may hold the command, so the refund stays, accepted (the recoverer covers it).
    log::warn("refund command possibly queued; kept, and left to the recoverer if it was not",
              {{"refund_id", data.refund_id}, {"error", published.error().message}});
  } else if (!published) {
    const std::string refund_id = data.refund_id;
    auto withdrawn = co_await run_blocking(deps.blocking, [&] { return deps.refunds.withdraw(refund_id, key); });
    if (!withdrawn) log::error("refund withdraw failed", {{"refund_id", refund_id}});
    co_return error_response(Error::unavailable("refunds are temporarily unavailable (queue); nothing was refunded"));
  }
  log::info("refund accepted", {{"payment_id", payment_id}, {"refund_id", data.refund_id}, {"key_id", caller.key_id}});
  http::Response response = json_response(202, accepted);
  response.with_header("Location", "/api/v1/refunds/" + data.refund_id);
  co_return response;
}

awaitable<http::Response> PaymentsApi::Impl::list_refunds(std::string payment_id, const auth::Principal& caller) {
  auto payment = co_await find_own(payment_id, caller);
  if (!payment) co_return error_response(Error::unavailable("refunds are temporarily unavailable"));
  if (!payment.value()) co_return error_response(not_found("payment"));
  auto refunds = co_await run_blocking(deps.blocking, [&] { return deps.refunds.for_payment(payment_id); });
  if (!refunds) co_return error_response(Error::unavailable("refunds are temporarily unavailable"));
  co_return json_response(200, refund_list_view(payment_id, refunds.value()));
}

awaitable<http::Response> PaymentsApi::Impl::read_refund(std::string refund_id, const auth::Principal& caller) {
  if (!is_valid_external_id(refund_id)) co_return error_response(not_found("refund"));
  auto refund = co_await run_blocking(deps.blocking, [&] { return deps.refunds.find(refund_id); });
  if (!refund) co_return error_response(Error::unavailable("refunds are temporarily unavailable"));
  if (!refund.value() || refund.value()->merchant_id != caller.merchant_id) {
    co_return error_response(not_found("refund"));  // another merchant's refund is no refund at all
  }
  co_return json_response(200, refund_view(*refund.value()));
}

}  // namespace payments::api
