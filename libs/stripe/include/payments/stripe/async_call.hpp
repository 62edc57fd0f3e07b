#pragma once
// Awaiting a StripeGateway call from an Asio coroutine:
//
//   StripeResult<PaymentIntent> r = co_await payments::stripe::async_call<PaymentIntent>(
//       [&](auto done) { gateway.create_payment_intent(std::move(request), std::move(done)); });
//
// Works with any StripeGateway (the real client or a test fake). The coroutine resumes on its own executor.

#include <functional>
#include <memory>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "payments/core/stripe_gateway.hpp"

namespace payments::stripe {

template <typename T, typename Start, typename CompletionToken = const boost::asio::use_awaitable_t<>&>
auto async_call(Start start, CompletionToken&& token = boost::asio::use_awaitable) {
  return boost::asio::async_initiate<CompletionToken, void(StripeResult<T>)>(
      [](auto handler, Start begin) {
        // std::function needs a copyable callable; the handler is move-only, so share it.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        begin(StripeCallback<T>([shared](StripeResult<T> result) {
          auto executor = boost::asio::get_associated_executor(*shared);
          boost::asio::post(executor, [shared, r = std::move(result)]() mutable { std::move (*shared)(std::move(r)); });
        }));
      },
      token, std::move(start));
}

}  // namespace payments::stripe
