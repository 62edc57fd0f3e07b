#include "api_keys.hpp"

#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "payments/auth/api_keys.hpp"
#include "payments/core/log.hpp"
#include "payments/core/random.hpp"
#include "payments/core/time.hpp"
#include "payments/store/api_key_repository.hpp"
#include "payments/store/database.hpp"

namespace payments::admin {
namespace {

constexpr const char* kUsage =
    "usage: payments-admin api-keys create --merchant <merchant_id> [--scopes payments:read,payments:write,"
    "refunds:write] [--expires-in-days N] [--rate-limit N]\n"
    "       payments-admin api-keys list [--merchant <merchant_id>]\n"
    "       payments-admin api-keys revoke <key_id>\n";

int usage(std::string_view problem = {}) {
  if (!problem.empty()) std::fprintf(stderr, "payments-admin: %.*s\n", static_cast<int>(problem.size()), problem.data());
  std::fputs(kUsage, stderr);
  return 2;
}

int fail(const Error& error) {
  std::string message = error.message;
  if (!error.field.empty() && message.rfind(error.field, 0) != 0) message = "--" + error.field + " " + message;
  std::fprintf(stderr, "payments-admin: %s\n", message.c_str());
  return 1;
}

std::optional<int> whole_number(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Key management is plain DML on api_keys: it runs as the services' account (MYSQL_USER), not as admin.
Result<std::unique_ptr<store::Database>> connect(const ServiceConfig& config) {
  return store::Database::connect({.mysql = config.mysql, .pool_size = 1});
}

std::string status_of(const auth::ApiKey& key, std::chrono::system_clock::time_point now) {
  if (key.revoked_at) return "revoked";
  if (!auth::is_active(key, now)) return "expired";
  return "active";
}

int create(const ServiceConfig& config, int argc, char** argv) {
  auth::ApiKeyRequest request;
  bool merchant_given = false;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return usage(std::string(arg) + " needs a value");
    const std::string_view value = argv[++i];
    if (arg == "--merchant") {
      request.merchant_id = std::string(value);
      merchant_given = true;
    } else if (arg == "--scopes") {
      auto scopes = auth::Scopes::parse(value);
      if (!scopes) return fail(scopes.error());
      request.scopes = scopes.value();
    } else if (arg == "--expires-in-days") {
      auto days = whole_number(value);
      if (!days) return fail(Error::validation("expires-in-days", "must be a whole number of days"));
      request.expires_in = std::chrono::days(*days);
    } else if (arg == "--rate-limit") {
      auto rate = whole_number(value);
      if (!rate) return fail(Error::validation("rate-limit", "must be a whole number of requests per second"));
      request.rate_limit_per_second = *rate;
    } else {
      return usage("unknown option " + std::string(arg));
    }
  }
  if (!merchant_given) return usage("api-keys create needs --merchant");
  auto made = auth::make_api_key(request, system_random(), std::chrono::system_clock::now());
  if (!made) return fail(made.error());
  auto database = connect(config);
  if (!database) return fail(database.error());
  store::ApiKeyRepository keys(*database.value());
  if (auto stored = keys.create(made->key); !stored) return fail(stored.error());

  const auto& key = made->key;
  std::fprintf(stderr, "payments-admin: created %s for merchant %s, scopes %s, rate limit %s, expires %s\n",
               key.id.c_str(), key.merchant_id.c_str(), key.scopes.str().c_str(),
               key.rate_limit_per_second ? (std::to_string(*key.rate_limit_per_second) + "/s").c_str() : "default",
               key.expires_at ? format_rfc3339(*key.expires_at).c_str() : "never");
  std::fprintf(stderr, "payments-admin: the secret is shown once, below; store it now\n");
  std::printf("key_id: %s\n%s\n", key.id.c_str(), made->secret.c_str());
  return 0;
}

int list(const ServiceConfig& config, int argc, char** argv) {
  std::optional<std::string> merchant;
  if (argc == 2 && std::string_view(argv[0]) == "--merchant") {
    merchant = argv[1];
  } else if (argc != 0) {
    return usage();
  }
  auto database = connect(config);
  if (!database) return fail(database.error());
  store::ApiKeyRepository repository(*database.value());
  auto keys = repository.list(merchant);
  if (!keys) return fail(keys.error());
  const auto now = std::chrono::system_clock::now();
  std::printf("%-24s %-24s %-8s %-44s %-10s %-24s %s\n", "KEY_ID", "MERCHANT", "STATUS", "SCOPES", "RATE/S",
              "CREATED", "EXPIRES");
  for (const auto& key : keys.value()) {
    const std::string rate = key.rate_limit_per_second ? std::to_string(*key.rate_limit_per_second) : "default";
    const std::string expires = key.expires_at ? format_rfc3339(*key.expires_at) : "never";
    std::printf("%-24s %-24s %-8s %-44s %-10s %-24s %s\n", key.id.c_str(), key.merchant_id.c_str(),
                status_of(key, now).c_str(), key.scopes.str().c_str(), rate.c_str(), key.created_at.c_str(),
                expires.c_str());
  }
  return 0;
}

int revoke(const ServiceConfig& config, int argc, char** argv) {
  if (argc != 1) return usage("api-keys revoke needs exactly one key id");
  const std::string key_id = argv[0];
  auto database = connect(config);
  if (!database) return fail(database.error());
  store::ApiKeyRepository keys(*database.value());
  auto revoked = keys.revoke(key_id);
  if (!revoked) return fail(revoked.error());
  if (!revoked.value()) {
    std::fprintf(stderr, "payments-admin: no active key %s (unknown, or revoked already)\n", key_id.substr(0, 64).c_str());
    return 1;
  }
  std::printf("payments-admin: revoked %s; every API instance refuses it within seconds\n", key_id.c_str());
  return 0;
}

}  // namespace

int api_keys_command(const ServiceConfig& config, int argc, char** argv) {
  if (argc < 1) return usage();
  const std::string_view verb = argv[0];
  if (verb == "create") return create(config, argc - 1, argv + 1);
  if (verb == "list") return list(config, argc - 1, argv + 1);
  if (verb == "revoke") return revoke(config, argc - 1, argv + 1);
  return usage("unknown api-keys command " + std::string(verb));
}

}  // namespace payments::admin
