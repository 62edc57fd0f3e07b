#pragma once
// API keys in MySQL (the secret's hash, never the secret), and what the API keeps in memory about them.

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "payments/auth/api_keys.hpp"
#include "payments/store/database.hpp"

namespace payments::store {

class ApiKeyRepository {
 public:
  explicit ApiKeyRepository(Database& database) : database_(database) {}

  Status create(const auth::ApiKey& key);
  // Every key (revoked and expired ones too), newest first; only `merchant_id`'s when given.
  Result<std::vector<auth::ApiKey>> list(const std::optional<std::string>& merchant_id);
  // Keys neither revoked nor expired: the API's snapshot.
  Result<std::vector<auth::ApiKey>> active();
  // False when there is no such key or it was revoked already.
  Result<bool> revoke(const std::string& key_id);

  // Card testing: the credentials whose payments were declined more than `limit` times within `window`.
  Result<std::vector<std::string>> declining_credentials(int limit, std::chrono::seconds window);

 private:
  Database& database_;
};

}  // namespace payments::store
