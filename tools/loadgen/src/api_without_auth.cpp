// !!! BENCHMARK ONLY: A PAYMENTS API THAT ACCEPTS EVERY REQUEST WITHOUT A CREDENTIAL !!!
//
// payments-api-without-auth exists only so that `make bench` can measure what authentication costs: its
// scenario api_front_noauth runs it right before api_front runs the real payments-api, with the same
// settings, and the report compares the two. It is payments-api (apps/api/service.cpp) with one change:
// every request, with or without an Authorization header, is taken to come from merchant "bench" with
// key id "bench", every scope and a rate limit of 100,000 requests per second. Everything after
// authentication (the rate limiter, scopes, validation, the database, Kafka) runs as in payments-api.
//
// It is never installed, never shipped in the image (deploy/compose/Dockerfile builds named targets only),
// and never run by `make run`, compose or the tests. Do not run it anywhere but tools/dev/bench.sh.
#include <cstdio>

#include "service.hpp"

int main() {
  std::fputs("payments-api-without-auth: BENCHMARK ONLY, every request is accepted without a credential\n", stderr);
  payments::api::ServiceHooks hooks;
  hooks.authenticate = [](std::optional<std::string_view>) -> payments::Result<payments::auth::Principal> {
    return payments::auth::Principal{
        .merchant_id = "bench",
        .key_id = "bench",
        .scopes = payments::auth::Scopes::all(),
        .rate_limit_per_second = 100'000,
    };
  };
  return payments::api::run_api_service(hooks);
}
