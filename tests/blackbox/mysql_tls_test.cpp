// The services against the project's MariaDB with TLS (`tools/dev/mariadb.sh start-tls`), verifying its
// certificate. There the services' account may log in over TLS only (REQUIRE SSL).
#include <doctest/doctest.h>

#include "support/stack.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

std::map<std::string, std::string> tls_mysql(std::uint16_t port) {
  return {{"MYSQL_HOST", "127.0.0.1"},
          {"MYSQL_PORT", std::to_string(port)},
          {"MYSQL_SSL_MODE", "verify_identity"},
          {"MYSQL_SSL_CA", mysql_tls_certs() + "/ca.pem"}};
}

}  // namespace

TEST_CASE("a payment completes with the API and the worker on MySQL over TLS (MYSQL_SSL_MODE=verify_identity)") {
  Stack stack({.mysql_env = tls_mysql(mysql_tls_port())});
  auto accepted = stack.post_payment(
      R"({"order_id":"order-tls","amount":1999,"currency":"usd","payment_method":"pm_card_visa"})");
  REQUIRE(accepted.status == 202);
  const auto id = json_field(accepted.body, "payment_id");
  CHECK(stack.wait_for_status(id) == "succeeded");
  CHECK(stack.charges_for(id) == 1);

  // The row is on the TLS server, in the stack's database there.
  std::string status;
  stack.sql([&](soci::session& sql) { sql << "SELECT status FROM payments WHERE id = :id", soci::use(id), soci::into(status); });
  CHECK(status == "succeeded");
}

TEST_CASE("a service refuses to start against a MySQL server whose certificate names another host") {
  Stack stack({.start_worker = false, .mysql_env = tls_mysql(mysql_tls_port())});
  auto env = stack.service_env();
  env["MYSQL_PORT"] = std::to_string(mysql_tls_wrong_host_port());
  ChildProcess worker(binary("apps/worker/payments-worker"), {}, env, stack.log_path("wrong-host.log"));
  CHECK(worker.wait_exit(30s) == 1);
  const auto output = worker.output();
  CHECK(output.find("payments-worker: MySQL unreachable at 127.0.0.1:" + std::to_string(mysql_tls_wrong_host_port())) !=
        std::string::npos);
  CHECK(output.find("Validation of SSL server certificate failed (MYSQL_SSL_MODE=verify_identity)") !=
        std::string::npos);
}
