// The API's public listener over HTTPS (API_TLS_CERT_FILE, API_TLS_KEY_FILE), driven with curl: certificates
// made with openssl for each test, TLS versions, and a certificate reload on SIGHUP.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/stack.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

struct Run {
  int exit_code = -1;
  std::string output;
};

// A shell command's exit code and its stdout and stderr together.
Run shell(const std::string& command) {
  Run run;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char chunk[4096];
  while (const std::size_t n = std::fread(chunk, 1, sizeof chunk, pipe)) run.output.append(chunk, n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// A test CA and two server certificates for 127.0.0.1 it signed ("first", "second"), in a directory of the test.
class Certificates {
 public:
  Certificates() : dir_(std::filesystem::temp_directory_path() / ("payments-https-" + unique_name("c"))) {
    std::filesystem::create_directories(dir_);
    const auto made = shell("cd " + dir_.string() + " && " +
                            "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && "
                            "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=payments https test CA' "
                            "-keyout ca.key -out ca.pem && "
                            "for name in first second; do "
                            "openssl req -newkey rsa:2048 -nodes -subj \"/CN=api-$name\" -keyout $name.key -out $name.csr"
                            " && openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
                            "-extfile san.ext -out $name.pem || exit 1; done");
    REQUIRE_MESSAGE(made.exit_code == 0, made.output);
  }
  ~Certificates() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Certificates(const Certificates&) = delete;
  Certificates& operator=(const Certificates&) = delete;

  [[nodiscard]] std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // The files the API is configured with; `install` puts a certificate and key there (atomically, by rename).
  [[nodiscard]] std::string served_cert() const { return path("served.pem"); }
  [[nodiscard]] std::string served_key() const { return path("served.key"); }
  void install(const std::string& cert, const std::string& key) const {
    std::filesystem::copy_file(path(cert), path("next.pem"), std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(path(key), path("next.key"), std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(path("next.pem"), served_cert());
    std::filesystem::rename(path("next.key"), served_key());
  }
  [[nodiscard]] std::string fingerprint(const std::string& name) const {
    return shell("openssl x509 -noout -fingerprint -sha256 -in " + path(name)).output;
  }

 private:
  std::filesystem::path dir_;
};

StackOptions https_stack(const Certificates& certs) {
  certs.install("first.pem", "first.key");
  StackOptions options;
  options.api_https = true;
  options.api_env = {{"API_TLS_CERT_FILE", certs.served_cert()}, {"API_TLS_KEY_FILE", certs.served_key()}};
  return options;
}

std::string base(const Stack& stack) { return "https://127.0.0.1:" + std::to_string(stack.api_port()); }

// curl with the test CA: the body, then the status code on the last line.
Run curl(const Certificates& certs, const std::string& args) {
  return shell("curl -sS --max-time 10 --cacert " + certs.path("ca.pem") + " -w '\\n%{http_code}' " + args);
}

std::string status_line(const Run& run) { return run.output.substr(run.output.rfind('\n') + 1); }

// The SHA-256 fingerprint of the certificate the API presents to a new connection.
std::string served_fingerprint(const Certificates& certs, const Stack& stack) {
  return shell("curl -sS --max-time 10 --cacert " + certs.path("ca.pem") + " -o /dev/null -w '%{certs}' " +
               base(stack) + "/health | openssl x509 -noout -fingerprint -sha256")
      .output;
}

bool eventually(const std::function<bool()>& done, std::chrono::seconds timeout = 10s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

}  // namespace

TEST_CASE("over HTTPS a payment is created and its status read, while plain HTTP and TLS 1.1 are refused") {
  Certificates certs;
  Stack stack(https_stack(certs));
  const auto auth = "-H 'Authorization: " + stack.api_key().bearer() + "' ";

  auto created = curl(certs, auth + "-H 'Content-Type: application/json' -d '{\"order_id\":\"order-https\","
                                    "\"amount\":1999,\"currency\":\"usd\",\"payment_method\":\"pm_card_visa\"}' " +
                                    base(stack) + "/api/v1/payments");
  REQUIRE_MESSAGE(created.exit_code == 0, created.output);
  REQUIRE(status_line(created) == "202");
  const auto id = json_field(created.output.substr(0, created.output.rfind('\n')), "payment_id");
  REQUIRE(id.rfind("pay_", 0) == 0);
  CHECK(eventually(
      [&] {
        auto status = curl(certs, auth + base(stack) + "/api/v1/payments/" + id + "/status");
        return status_line(status) == "200" && status.output.find("\"succeeded\"") != std::string::npos;
      },
      30s));

  // Plain HTTP to the TLS port gets no HTTP answer.
  auto plain = shell("curl -sS --max-time 10 -o /dev/null -w '%{http_code}' http://127.0.0.1:" +
                     std::to_string(stack.api_port()) + "/health");
  CHECK(plain.exit_code != 0);
  CHECK(plain.output.rfind("000") != std::string::npos);

  // TLS 1.2 and 1.3 are served; TLS 1.1 is refused in the handshake.
  CHECK(status_line(curl(certs, "--tlsv1.2 --tls-max 1.2 " + base(stack) + "/health")) == "200");
  CHECK(status_line(curl(certs, "--tlsv1.3 " + base(stack) + "/health")) == "200");
  const std::string tls11 = "--tlsv1.1 --tls-max 1.1 --ciphers DEFAULT@SECLEVEL=0 ";
  auto old = curl(certs, tls11 + base(stack) + "/health");
  CHECK(old.exit_code == 35);  // CURLE_SSL_CONNECT_ERROR
  CHECK(status_line(old) == "000");

  // The same curl does speak TLS 1.1 to a server that allows it, so the refusal above is the API's.
  const auto port = std::to_string(free_port());
  ChildProcess tls11_server("/usr/bin/openssl",
                            {"s_server", "-accept", "127.0.0.1:" + port, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0",
                             "-cert", certs.path("first.pem"), "-key", certs.path("first.key"), "-www"},
                            {}, stack.log_path("s_server.log"));
  CHECK(eventually([&] { return curl(certs, tls11 + "https://127.0.0.1:" + port + "/").exit_code == 0; }));
}

TEST_CASE("SIGHUP reloads the certificate for new connections, and a broken replacement keeps the old one") {
  Certificates certs;
  Stack stack(https_stack(certs));
  REQUIRE(served_fingerprint(certs, stack) == certs.fingerprint("first.pem"));

  certs.install("second.pem", "second.key");
  stack.api().signal(SIGHUP);
  CHECK(eventually([&] { return served_fingerprint(certs, stack) == certs.fingerprint("second.pem"); }));
  CHECK(stack.api().running());

  const auto log_lines = [&](const std::string& text) {
    const auto log = stack.api().output();
    std::size_t count = 0;
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++count;
    return count;
  };
  // A half-finished rotation (the first certificate with the second's key), then a file that is not PEM.
  certs.install("first.pem", "second.key");
  stack.api().signal(SIGHUP);
  CHECK(eventually([&] { return log_lines("TLS certificate reload failed") == 1; }));
  CHECK(stack.api().output().find("cannot load TLS private key " + certs.served_key() + ": key values mismatch") !=
        std::string::npos);
  std::ofstream(certs.served_cert(), std::ios::trunc) << "not a certificate\n";
  stack.api().signal(SIGHUP);
  CHECK(eventually([&] { return log_lines("TLS certificate reload failed") == 2; }));

  CHECK(stack.api().running());
  CHECK(served_fingerprint(certs, stack) == certs.fingerprint("second.pem"));
  CHECK(status_line(curl(certs, base(stack) + "/health")) == "200");
}

TEST_CASE("the API refuses to start with half of its TLS settings, or with a certificate it cannot load") {
  Certificates certs;
  Stack stack({.start_worker = false});
  auto env = stack.service_env();
  env["API_TLS_CERT_FILE"] = certs.path("first.pem");
  ChildProcess half(binary("apps/api/payments-api"), {}, env, stack.log_path("half.log"));
  CHECK(half.wait_exit(30s) == 1);
  CHECK(half.output() == "payments-api: API_TLS_CERT_FILE and API_TLS_KEY_FILE go together: set both for HTTPS, "
                         "or neither\n");

  env["API_TLS_KEY_FILE"] = certs.path("missing.key");
  const auto port = free_port();  // the stack's own API holds its ports
  env["API_PORT"] = std::to_string(port);
  env["API_ADMIN_PORT"] = std::to_string(free_port());
  ChildProcess missing(binary("apps/api/payments-api"), {}, env, stack.log_path("missing.log"));
  CHECK(missing.wait_exit(30s) == 1);
  CHECK(missing.output().find("payments-api: cannot listen on 127.0.0.1:" + std::to_string(port) +
                              ": cannot load TLS private key " + certs.path("missing.key")) != std::string::npos);
}
