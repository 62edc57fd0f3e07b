#include <doctest/doctest.h>

#include "command_line.hpp"

using namespace payments::stripe_sim;

TEST_CASE("defaults: port 12111 on 127.0.0.1, no faults, plain HTTP") {
  auto config = parse_command_line({});
  REQUIRE(config.has_value());
  CHECK(config.value().port == 12111);
  CHECK(config.value().host == "127.0.0.1");
  CHECK(config.value().faults.fail_rate == 0.0);
  CHECK_FALSE(config.value().tls);
  CHECK_FALSE(config.value().seed);
}

TEST_CASE("every flag is read, in both --flag value and --flag=value forms") {
  auto config = parse_command_line({"--port", "0", "--latency-ms=25", "--fail-rate", "0.1", "--timeout-rate=0.05",
                                    "--rate-limit-rate", "0.2", "--seed", "99", "--threads", "4", "--tls-cert",
                                    "c.pem", "--tls-key", "k.pem"});
  REQUIRE(config.has_value());
  const auto& c = config.value();
  CHECK(c.port == 0);
  CHECK(c.faults.latency_ms == 25);
  CHECK(c.faults.fail_rate == doctest::Approx(0.1));
  CHECK(c.faults.timeout_rate == doctest::Approx(0.05));
  CHECK(c.faults.rate_limit_rate == doctest::Approx(0.2));
  CHECK(c.seed == 99U);
  CHECK(c.threads == 4);
  REQUIRE(c.tls);
  CHECK(c.tls->certificate_chain_file == "c.pem");
  CHECK(c.tls->private_key_file == "k.pem");
}

TEST_CASE("bad flags are refused with the flag's name") {
  CHECK(parse_command_line({"--port", "70000"}).error().field == "--port");
  CHECK(parse_command_line({"--fail-rate", "2"}).error().field == "--fail-rate");
  CHECK(parse_command_line({"--latency-ms", "x"}).error().field == "--latency-ms");
  CHECK(parse_command_line({"--tls-cert", "c.pem"}).error().field == "--tls-cert");
  CHECK(parse_command_line({"--bogus", "1"}).error().field == "--bogus");
  CHECK(parse_command_line({"--port"}).error().field == "--port");
}
