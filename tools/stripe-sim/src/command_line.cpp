#include "command_line.hpp"

#include <charconv>
#include <limits>

namespace payments::stripe_sim {
namespace {

template <typename T>
bool parse_number(const std::string& text, T& out) {
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return !text.empty() && ec == std::errc{} && ptr == end;
}

}  // namespace

std::string usage() {
  return "usage: stripe-sim [--port N] [--host ADDR] [--threads N] [--latency-ms N] [--fail-rate F]\n"
         "                  [--timeout-rate F] [--rate-limit-rate F] [--rate-limit N] [--seed N] [--tls-cert FILE --tls-key FILE]\n"
         "                  [--webhook-url URL --webhook-secret whsec_...]\n"
         "  --port N             port to listen on (default 12111; 0 = any free port)\n"
         "  --host ADDR          address to bind (default 127.0.0.1)\n"
         "  --threads N          event-loop threads (default 2)\n"
         "  --latency-ms N       delay added to every API answer (default 0)\n"
         "  --fail-rate F        fraction of API requests answered 500 api_error (default 0)\n"
         "  --timeout-rate F     fraction performed and recorded but never answered (default 0)\n"
         "  --rate-limit-rate F  fraction answered 429 with Stripe-Should-Retry: true (default 0)\n"
         "  --rate-limit N       answer 429 (Stripe-Should-Retry: true) beyond N requests a second, as Stripe\n"
         "                       does (a bucket of one second's worth); 0, the default: no limit\n"
         "  --seed N             seed for ids and fault choice (default: random)\n"
         "  --tls-cert FILE      PEM certificate chain; with --tls-key, serve HTTPS\n"
         "  --tls-key FILE       PEM private key\n"
         "  --webhook-url URL    POST every event, signed, to this http:// URL (e.g.\n"
         "                       http://127.0.0.1:8080/api/v1/webhooks/stripe)\n"
         "  --webhook-secret S   the endpoint's signing secret (whsec_...); required with --webhook-url\n";
}

Result<SimConfig> parse_command_line(const std::vector<std::string>& args) {
  SimConfig config;
  std::string tls_cert;
  std::string tls_key;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool has_value = false;
    if (const auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    if (flag == "--help" || flag == "-h") {
      config.help = true;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) return Error::validation(flag, flag + " needs a value");
      value = args[++i];
    }
    auto bad = [&](const std::string& what) { return Error::validation(flag, flag + " " + what + ", got '" + value + "'"); };
    if (flag == "--port") {
      std::uint16_t port = 0;
      if (!parse_number(value, port)) return bad("must be a port number 0-65535");
      config.port = port;
    } else if (flag == "--host") {
      config.host = value;
    } else if (flag == "--threads") {
      int threads = 0;
      if (!parse_number(value, threads) || threads < 1 || threads > 64) return bad("must be 1 to 64");
      config.threads = threads;
    } else if (flag == "--latency-ms") {
      if (!parse_number(value, config.faults.latency_ms)) return bad("must be an integer");
    } else if (flag == "--fail-rate") {
      if (!parse_number(value, config.faults.fail_rate)) return bad("must be a number between 0 and 1");
    } else if (flag == "--timeout-rate") {
      if (!parse_number(value, config.faults.timeout_rate)) return bad("must be a number between 0 and 1");
    } else if (flag == "--rate-limit-rate") {
      if (!parse_number(value, config.faults.rate_limit_rate)) return bad("must be a number between 0 and 1");
    } else if (flag == "--rate-limit") {
      if (!parse_number(value, config.faults.rate_limit)) return bad("must be a whole number of requests a second");
    } else if (flag == "--seed") {
      std::uint64_t seed = 0;
      if (!parse_number(value, seed)) return bad("must be a non-negative integer");
      config.seed = seed;
    } else if (flag == "--tls-cert") {
      tls_cert = value;
    } else if (flag == "--tls-key") {
      tls_key = value;
    } else if (flag == "--webhook-url") {
      if (auto url = parse_webhook_url(value); !url) {
        return Error::validation(flag, flag + " " + url.error().message + ", got '" + value + "'");
      }
      config.webhook_url = value;
    } else if (flag == "--webhook-secret") {
      // Never echoed back, not even in an error.
      if (value.empty()) return Error::validation(flag, flag + " must not be empty");
      config.webhook_secret = Secret(value);
    } else {
      return Error::validation(flag, "unknown flag " + flag + " (see --help)");
    }
  }
  if (auto valid = FaultInjector::validate(config.faults); !valid) {
    const auto& field = valid.error().field;
    std::string name = "--" + field;
    for (auto& c : name) {
      if (c == '_') c = '-';
    }
    if (field == "latency_ms") name = "--latency-ms";
    return Error::validation(name, name + " " + valid.error().message);
  }
  if (tls_cert.empty() != tls_key.empty()) {
    return Error::validation("--tls-cert", "--tls-cert and --tls-key must be given together");
  }
  if (!tls_cert.empty()) config.tls = http::TlsOptions{tls_cert, tls_key};
  if (!config.webhook_url.empty() && config.webhook_secret.empty()) {
    return Error::validation("--webhook-secret", "--webhook-url needs --webhook-secret (the endpoint's whsec_... secret)");
  }
  return config;
}

}  // namespace payments::stripe_sim
