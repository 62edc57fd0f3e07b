#include "payments/auth/authenticator.hpp"

#include <cctype>

namespace payments::auth {
namespace {

constexpr std::size_t kMaxTokenBytes = 8 * 1024;

Error unauthenticated() {
  return {ErrorCode::unauthenticated, "a valid API key or token is required: send Authorization: Bearer <secret>", {}};
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept {
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() || !iequals(authorization.substr(0, kScheme.size()), kScheme) ||
      authorization[kScheme.size()] != ' ') {
    return std::nullopt;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty() || token.size() > kMaxTokenBytes || token.find(' ') != std::string_view::npos) return std::nullopt;
  return token;
}

Authenticator::Authenticator(std::unique_ptr<JwtVerifier> jwt, std::chrono::seconds max_staleness)
    : jwt_(std::move(jwt)), max_staleness_(max_staleness), keys_(std::make_shared<const Snapshot>()) {}

Authenticator::~Authenticator() = default;

void Authenticator::replace_keys(const std::vector<ApiKey>& keys, Clock::time_point now) {
  auto snapshot = std::make_shared<Snapshot>();
  for (const auto& key : keys) {
    if (key.revoked_at) continue;
    snapshot->emplace(key.secret_hash, key);
  }
  std::lock_guard lock(mutex_);
  keys_ = std::move(snapshot);
  loaded_at_ = now;
}

Result<Principal> Authenticator::authenticate(std::optional<std::string_view> authorization,
                                              Clock::time_point now) const {
  std::shared_ptr<const Snapshot> keys;
  std::optional<Clock::time_point> loaded_at;
  {
    std::lock_guard lock(mutex_);
    keys = keys_;
    loaded_at = loaded_at_;
  }
  if (!loaded_at || now - *loaded_at > max_staleness_) {
    return Error::unavailable("credentials cannot be checked right now; retry shortly");
  }
  const std::optional<std::string_view> token = authorization ? bearer_token(*authorization) : std::nullopt;
  if (token && jwt_ && looks_like_jwt(*token)) {
    auto principal = jwt_->verify(*token, now);
    if (!principal) return unauthenticated();
    return principal;
  }
  // Hashed whatever it is, so a malformed secret costs what a wrong one does.
  const auto found = keys->find(secret_hash(token.value_or(std::string_view{})));
  if (!token || !looks_like_api_key(*token) || found == keys->end() || !is_active(found->second, now)) {
    return unauthenticated();
  }
  return principal_of(found->second);
}

std::size_t Authenticator::key_count() const {
  std::lock_guard lock(mutex_);
  return keys_->size();
}

}  // namespace payments::auth
