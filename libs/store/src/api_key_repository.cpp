#include "payments/store/api_key_repository.hpp"

#include <soci/soci.h>

#include "payments/core/charge_outcome.hpp"
#include "payments/core/time.hpp"
#include "rows.hpp"

namespace payments::store {
namespace {

using Clock = std::chrono::system_clock;

// Times as milliseconds since the epoch, computed by the server in UTC whatever the session's time zone.
constexpr const char* kColumns =
    "id, merchant_id, secret_hash, scopes, rate_limit,"
    " TIMESTAMPDIFF(MICROSECOND, '1970-01-01', expires_at) DIV 1000,"
    " TIMESTAMPDIFF(MICROSECOND, '1970-01-01', revoked_at) DIV 1000,"
    " DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ')";

std::optional<Clock::time_point> optional_time(const soci::row& row, std::size_t i) {
  if (row.get_indicator(i) == soci::i_null) return std::nullopt;
  return Clock::time_point(std::chrono::milliseconds(detail::integer(row, i)));
}

Result<auth::ApiKey> to_key(const soci::row& row) {
  auth::ApiKey key;
  key.id = row.get<std::string>(0);
  key.merchant_id = row.get<std::string>(1);
  key.secret_hash = row.get<std::string>(2);
  auto scopes = auth::Scopes::parse(row.get<std::string>(3));
  if (!scopes) return Error::internal("api key " + key.id + " has unreadable scopes");
  key.scopes = scopes.value();
  if (row.get_indicator(4) != soci::i_null) key.rate_limit_per_second = static_cast<int>(detail::integer(row, 4));
  key.expires_at = optional_time(row, 5);
  key.revoked_at = optional_time(row, 6);
  key.created_at = detail::timestamp(row, 7);
  return key;
}

long long epoch_ms(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

Result<std::vector<auth::ApiKey>> select_keys(Database& database, const std::string& where,
                                              const std::optional<std::string>& parameter) {
  std::vector<auth::ApiKey> keys;
  std::optional<Error> unreadable;
  auto status = database.with_session([&](soci::session& sql) {
    keys.clear();
    const std::string query = std::string("SELECT ") + kColumns + " FROM api_keys " + where +
                              " ORDER BY created_at DESC, id";
    soci::rowset<soci::row> rows = parameter ? (sql.prepare << query, soci::use(*parameter)) : (sql.prepare << query);
    for (const auto& row : rows) {
      auto key = to_key(row);
      if (!key) {
        unreadable = key.error();
        continue;
      }
      keys.push_back(std::move(key).value());
    }
  });
  if (!status) return std::move(status).error();
  if (unreadable) return *unreadable;
  return keys;
}

}  // namespace

Status ApiKeyRepository::create(const auth::ApiKey& key) {
  return database_.with_session([&](soci::session& sql) {
    const std::string scopes = key.scopes.str();
    soci::indicator rate_null = key.rate_limit_per_second ? soci::i_ok : soci::i_null;
    soci::indicator expiry_null = key.expires_at ? soci::i_ok : soci::i_null;
    const int rate = key.rate_limit_per_second.value_or(0);
    const long long expires = key.expires_at ? epoch_ms(*key.expires_at) : 0;
    sql << "INSERT INTO api_keys (id, merchant_id, secret_hash, scopes, rate_limit, created_at, expires_at)"
           " VALUES (:id, :m, :h, :s, :r, UTC_TIMESTAMP(6), DATE_ADD('1970-01-01', INTERVAL :e * 1000 MICROSECOND))",
        soci::use(key.id), soci::use(key.merchant_id), soci::use(key.secret_hash), soci::use(scopes),
        soci::use(rate, rate_null), soci::use(expires, expiry_null);
  });
}

Result<std::vector<auth::ApiKey>> ApiKeyRepository::list(const std::optional<std::string>& merchant_id) {
  return select_keys(database_, merchant_id ? "WHERE merchant_id = :m" : "", merchant_id);
}

Result<std::vector<auth::ApiKey>> ApiKeyRepository::active() {
  return select_keys(database_, "WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > UTC_TIMESTAMP(6))",
                     std::nullopt);
}

Result<bool> ApiKeyRepository::revoke(const std::string& key_id) {
  long long changed = 0;
  auto status = database_.with_session([&](soci::session& sql) {
    soci::statement st = (sql.prepare << "UPDATE api_keys SET revoked_at = UTC_TIMESTAMP(6)"
                                         " WHERE id = :id AND revoked_at IS NULL",
                          soci::use(key_id));
    st.execute(true);
    changed = st.get_affected_rows();
  });
  if (!status) return std::move(status).error();
  return changed == 1;
}

Result<std::vector<std::string>> ApiKeyRepository::declining_credentials(int limit, std::chrono::seconds window) {
  std::vector<std::string> ids;
  auto status = database_.with_session([&](soci::session& sql) {
    ids.clear();
    std::string codes;
    for (const auto code : kCardDeclineCodes) {
      codes += codes.empty() ? "'" : ", '";
      codes += code;
      codes += "'";
    }
    const int seconds = static_cast<int>(window.count());
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT api_key_id FROM payments FORCE INDEX (payments_by_status)"
                        " WHERE status = 'failed' AND updated_at >= UTC_TIMESTAMP(6) - INTERVAL :w SECOND"
                        " AND api_key_id IS NOT NULL AND failure_code IN (" << codes << ")"
                        " GROUP BY api_key_id HAVING COUNT(*) > :lim",
         soci::use(seconds), soci::use(limit));
    for (const auto& row : rows) ids.push_back(row.get<std::string>(0));
  });
  if (!status) return std::move(status).error();
  return ids;
}

}  // namespace payments::store
