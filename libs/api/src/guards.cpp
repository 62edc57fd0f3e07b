#include "payments/api/guards.hpp"

#include "payments/core/log.hpp"

namespace payments::api {

bool DeclineGuard::is_limited(const std::string& credential_id) const {
  std::shared_ptr<const Limited> limited;
  {
    std::lock_guard lock(mutex_);
    limited = limited_;
  }
  return limited->contains(credential_id);
}

void DeclineGuard::replace(Limited limited) {
  auto next = std::make_shared<const Limited>(std::move(limited));
  std::lock_guard lock(mutex_);
  limited_ = std::move(next);
}

GuardRefresher::GuardRefresher(store::ApiKeyRepository& keys, auth::Authenticator& authenticator,
                               DeclineGuard& declines, Intervals intervals)
    : keys_(keys), authenticator_(authenticator), declines_(declines), intervals_(intervals) {
  refresh_keys();
  refresh_declines();
  thread_ = std::thread([this] { run(); });
}

GuardRefresher::~GuardRefresher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void GuardRefresher::refresh_keys() {
  auto active = keys_.active();
  if (!active) {
    // The last snapshot stays in use; the Authenticator refuses to rely on it once it is too old.
    if (!keys_failing_) log::warn("API keys not reloaded", {{"error", active.error().message}});
    keys_failing_ = true;
    return;
  }
  if (keys_failing_) log::info("API keys reloaded again", {{"keys", std::to_string(active->size())}});
  keys_failing_ = false;
  authenticator_.replace_keys(active.value());
}

void GuardRefresher::refresh_declines() {
  const auto& settings = declines_.settings();
  auto limited = keys_.declining_credentials(settings.limit, settings.window);
  if (!limited) return;  // keep the last answer; the keys' reload reports the database's state
  declines_.replace({limited->begin(), limited->end()});
}

void GuardRefresher::run() {
  using Clock = std::chrono::steady_clock;
  auto next_keys = Clock::now() + intervals_.keys;
  auto next_declines = Clock::now() + intervals_.declines;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_until(lock, std::min(next_keys, next_declines), [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    const auto now = Clock::now();
    if (now >= next_keys) {
      refresh_keys();
      next_keys = Clock::now() + intervals_.keys;
    }
    if (now >= next_declines) {
      refresh_declines();
      next_declines = Clock::now() + intervals_.declines;
    }
    lock.lock();
  }
}

}  // namespace payments::api
