#pragma once
// What the API keeps in memory to decide who may call, refreshed in the background so that no request
// waits on the database for it: the active API keys (into the Authenticator) and the credentials that are
// over their card-decline limit.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>

#include "payments/auth/authenticator.hpp"
#include "payments/store/api_key_repository.hpp"

namespace payments::api {

// Credentials whose payments were declined more than API_DECLINE_LIMIT times in the last 10 minutes: they
// get 429 on new payments until the window no longer holds that many (a card-testing brake).
class DeclineGuard {
 public:
  struct Settings {
    int limit = 20;                       // API_DECLINE_LIMIT
    std::chrono::seconds window{600};
  };
  using Limited = std::unordered_set<std::string>;
  explicit DeclineGuard(Settings settings) : settings_(settings) {}

  [[nodiscard]] bool is_limited(const std::string& credential_id) const;
  void replace(Limited limited);
  [[nodiscard]] const Settings& settings() const noexcept { return settings_; }

 private:
  Settings settings_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Limited> limited_ = std::make_shared<const Limited>();
};

// Reloads the keys every `key_interval` (a revoked or expired key stops working within that, plus the
// query's time) and the decline-limited credentials every `decline_interval`, on a thread of its own, until
// destroyed. The first load happens in the constructor, so the API never starts with no keys.
class GuardRefresher {
 public:
  struct Intervals {
    std::chrono::milliseconds keys{1000};
    std::chrono::milliseconds declines{5000};
  };
  GuardRefresher(store::ApiKeyRepository& keys, auth::Authenticator& authenticator, DeclineGuard& declines,
                 Intervals intervals);
  ~GuardRefresher();
  GuardRefresher(const GuardRefresher&) = delete;
  GuardRefresher& operator=(const GuardRefresher&) = delete;

 private:
  void refresh_keys();
  void refresh_declines();
  void run();

  store::ApiKeyRepository& keys_;
  auth::Authenticator& authenticator_;
  DeclineGuard& declines_;
  Intervals intervals_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool keys_failing_ = false;
  std::thread thread_;
};

}  // namespace payments::api
