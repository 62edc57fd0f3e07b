#pragma once
// The payments-api process as one function: reads configuration, connects to MySQL and Kafka, serves the
// REST API on the public listener and /ready with details and /metrics on the admin listener, until
// SIGTERM. payments-api (main.cpp) runs it as it is; the benchmark's payments-api-without-auth
// (tools/loadgen) runs it with authentication replaced, to measure what authentication costs.

#include <functional>
#include <optional>
#include <string_view>

#include "payments/auth/principal.hpp"
#include "payments/core/result.hpp"

namespace payments::api {

struct ServiceHooks {
  // Replaces how a request is authenticated: given the Authorization header's value (if any), the caller
  // it proves. Empty (payments-api): the API keys and JWTs of auth::Authenticator.
  std::function<Result<auth::Principal>(std::optional<std::string_view>)> authenticate;
};

// The process's exit status: 0 after a graceful drain, 1 when start-up failed (the reason is on stderr).
int run_api_service(const ServiceHooks& hooks);

}  // namespace payments::api
