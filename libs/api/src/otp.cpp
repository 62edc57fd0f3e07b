// One-time-code routes: POST /api/v1/payments/{id}/otp and POST /api/v1/payments/{id}/otp/verify. Both only
// queue a command; the outcome shows on /status. A submitted code is never logged or echoed.
#include "api_impl.hpp"
#include "payments/api/errors.hpp"
#include "payments/core/ids.hpp"
#include "payments/core/otp.hpp"
#include "payments/events/commands.hpp"
#include "payments/json/json.hpp"
#include "payments/runtime/awaitable.hpp"

namespace payments::api {
namespace {
using boost::asio::awaitable;
using runtime::run_blocking;

std::string waiting_view(const std::string& payment_id) {
  json::Builder b;
  b.begin_object()
      .field("payment_id", payment_id)
      .field("status", "otp_required")
      .field("status_url", "/api/v1/payments/" + payment_id + "/status")
      .end_object();
  return b.str();
}
}  // namespace

awaitable<Result<int>> PaymentsApi::Impl::codes_sent_to_destination(std::string payment_id) {
  auto challenge = co_await run_blocking(deps.blocking, [&] { return deps.otps.find(payment_id); });
  if (!challenge) co_return Error::unavailable("one-time codes are temporarily unavailable");
  if (!challenge.value() || challenge.value()->destination_hash.empty()) co_return 0;
  const std::string hash = challenge.value()->destination_hash;
  const auto since = std::chrono::system_clock::now() - kOtpDestinationWindow;
  auto sent = co_await run_blocking(deps.blocking, [&] { return deps.otps.codes_sent_since(hash, since); });
  if (!sent) co_return Error::unavailable("one-time codes are temporarily unavailable");
  co_return sent.value();
}

awaitable<Result<store::PaymentRecord>> PaymentsApi::Impl::waiting_for_code(std::string payment_id,
                                                                           const auth::Principal& caller) {
  auto found = co_await find_own(payment_id, caller);
  if (!found) co_return Error::unavailable("payments are temporarily unavailable");
  if (!found.value()) co_return not_found("payment");
  if (found.value()->status != PaymentStatus::otp_required) {
    co_return Error{ErrorCode::invalid_state,
                    "payment " + payment_id + " is not waiting for a one-time code (status " +
                        std::string(to_string(found.value()->status)) + ")",
                    {}};
  }
  co_return *found.value();
}

awaitable<http::Response> PaymentsApi::Impl::publish_otp_command(events::CommandType type, std::string payment_id,
                                                                 const auth::Principal& caller, std::string data_json) {
  auto published = co_await publish(command_message(type, payment_id, caller, std::move(data_json)));
  if (!published) co_return error_response(Error::unavailable("one-time codes are temporarily unavailable"));
  http::Response response = json_response(202, waiting_view(payment_id));
  response.with_header("Location", "/api/v1/payments/" + payment_id + "/status");
  co_return response;
}

awaitable<http::Response> PaymentsApi::Impl::send_otp(std::string payment_id, const auth::Principal& caller) {
  auto payment = co_await waiting_for_code(payment_id, caller);
  if (!payment) co_return error_response(payment.error());
  // An early answer for a destination at its hourly limit; the worker decides for good (under a lock), and
  // its cooldown and resend cap show on /status.
  auto sent = co_await codes_sent_to_destination(payment_id);
  if (!sent) co_return error_response(sent.error());
  if (sent.value() >= deps.otp_codes_per_destination_per_hour) {
    http::Response refused = error_response(
        {ErrorCode::rate_limited,
         "this destination has had " + std::to_string(deps.otp_codes_per_destination_per_hour) +
             " one-time codes in the last hour; retry later",
         {}});
    refused.with_header("Retry-After", "300");
    co_return refused;
  }
  co_return co_await publish_otp_command(events::CommandType::payment_otp_send, payment_id, caller, "{}");
}

awaitable<http::Response> PaymentsApi::Impl::verify_otp(const http::Request& request, std::string payment_id,
                                                         const auth::Principal& caller) {
  auto body = json::parse(request.body, {.max_bytes = 1024, .max_depth = 1});
  if (!body) co_return error_response(body.error());
  json::ObjectReader reader(body.value());
  if (auto known = reader.only({"code"}); !known) co_return error_response(known.error());
  auto code = reader.string("code");
  if (!code) co_return error_response(code.error());
  if (!is_well_formed_otp_code(code.value(), OtpPolicy{}.digits)) {
    co_return error_response(Error::validation("code", "must be the 6 digits that were sent"));
  }
  auto payment = co_await waiting_for_code(payment_id, caller);
  if (!payment) co_return error_response(payment.error());
  json::Builder data;
  data.begin_object().field("code", code.value()).end_object();
  co_return co_await publish_otp_command(events::CommandType::payment_otp_verify, payment_id, caller, data.str());
}

}  // namespace payments::api
