// Who may do what: authentication, the per-credential rate limit, scopes, and merchant scoping of reads.
#include "api_impl.hpp"
#include "payments/core/ids.hpp"
#include "payments/core/time.hpp"
#include "payments/core/log.hpp"
#include "payments/runtime/awaitable.hpp"

namespace payments::api {

Result<auth::Principal> PaymentsApi::Impl::authorize(const http::Request& request, auth::Scope scope,
                                                     RouteInfo& info) {
  auto caller = deps.authenticate(request.header("authorization"));
  if (!caller) {
    deps.metrics
        .counter("payments_api_auth_failures_total", "Requests refused for their credential",
                 "reason=\"" + std::string(to_string(caller.error().code)) + "\"")
        .add();
    // Never the header: it may hold a real secret with a typo.
    log::debug("request not authenticated", {{"route", info.name}, {"peer", request.remote_address}});
    return caller;
  }
  info.rate = deps.rate_limiter.take(caller->key_id, caller->rate_limit_per_second.value_or(deps.default_rate_limit));
  if (!info.rate->allowed) {
    deps.metrics.counter("payments_api_rate_limited_total", "Requests refused over their credential's rate").add();
    return Error{ErrorCode::rate_limited,
                 "more than " + std::to_string(info.rate->limit) + " requests per second with this key; retry after " +
                     std::to_string(info.rate->retry_after.count()) + " s",
                 {}};
  }
  if (!caller->scopes.has(scope)) {
    log::info("request refused for its scope", {{"key_id", caller->key_id}, {"route", info.name}});
    return Error{ErrorCode::forbidden, "this key lacks the " + std::string(to_string(scope)) + " scope", {}};
  }
  return caller;
}

boost::asio::awaitable<Result<std::optional<store::PaymentRecord>>> PaymentsApi::Impl::find_own(
    std::string payment_id, const auth::Principal& caller) {
  auto found = co_await runtime::run_blocking(deps.blocking, [&] { return deps.payments.find(payment_id); });
  if (!found) co_return std::move(found).error();
  if (found.value() && found.value()->merchant_id != caller.merchant_id) {
    co_return std::optional<store::PaymentRecord>{};
  }
  co_return std::move(found).value();
}

events::OutgoingMessage PaymentsApi::Impl::command_message(events::CommandType type, const std::string& payment_id,
                                                           const auth::Principal& caller, std::string data_json) {
  events::CommandEnvelope command{new_uuid_v4(deps.random), type, payment_id, rfc3339_now(), std::move(data_json)};
  command.merchant_id = caller.merchant_id;
  return {deps.topics.commands, payment_id, events::serialize_command(command), {}};
}

}  // namespace payments::api
