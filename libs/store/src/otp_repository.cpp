#include "payments/store/otp_repository.hpp"

#include <soci/soci.h>

#include "rows.hpp"

namespace payments::store {
namespace {

using namespace detail;

constexpr const char* kColumns =
    "payment_id, code_hash, seq, delivered_seq, issued_at_ms, expires_at_ms, last_sent_at_ms, attempts_left,"
    " resends_used, state, channel, destination_masked, last_result, version, max_resends";

long long to_ms(OtpTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
OtpTime from_ms(long long ms) { return OtpTime(std::chrono::milliseconds(ms)); }

StoredChallenge to_stored(const soci::row& row) {
  StoredChallenge s;
  auto& c = s.challenge;
  c.payment_id = row.get<std::string>(0);
  c.code_hash = row.get<std::string>(1);
  c.seq = static_cast<std::uint32_t>(row.get<long long>(2));
  s.delivered_seq = static_cast<std::uint32_t>(row.get<long long>(3));
  c.issued_at = from_ms(row.get<long long>(4));
  c.expires_at = from_ms(row.get<long long>(5));
  c.last_sent_at = from_ms(row.get<long long>(6));
  c.attempts_left = row.get<int>(7);
  c.resends_used = row.get<int>(8);
  c.state = parse_otp_state(row.get<std::string>(9)).value_or(OtpState::expired);
  s.channel = row.get<std::string>(10);
  s.destination_masked = row.get<std::string>(11);
  s.last_result = text_or_empty(row, 12);
  s.version = row.get<int>(13);
  s.max_resends = row.get<int>(14);
  return s;
}

std::optional<StoredChallenge> select_challenge(soci::session& sql, const std::string& payment_id, bool lock) {
  soci::rowset<soci::row> rows =
      (sql.prepare << "SELECT " << kColumns << " FROM otp_challenges WHERE payment_id = :p"
                   << (lock ? " FOR UPDATE" : ""),
       soci::use(payment_id));
  for (const auto& row : rows) return to_stored(row);
  return std::nullopt;
}

}  // namespace

Result<std::optional<StoredChallenge>> OtpRepository::find(const std::string& payment_id) {
  std::optional<StoredChallenge> out;
  auto status = database_.with_session([&](soci::session& sql) { out = select_challenge(sql, payment_id, false); });
  if (!status) return std::move(status).error();
  return out;
}

Result<bool> OtpRepository::start(const Transition& transition, const StoredChallenge& s) {
  bool started = false;
  auto status = database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    if (!apply_transition(sql, transition)) return;
    const auto& c = s.challenge;
    const long long seq = c.seq;
    const long long issued = to_ms(c.issued_at);
    const long long expires = to_ms(c.expires_at);
    const long long sent = to_ms(c.last_sent_at);
    const std::string state(to_string(c.state));
    sql << "INSERT INTO otp_challenges (payment_id, code_hash, seq, delivered_seq, issued_at_ms, expires_at_ms,"
           " last_sent_at_ms, attempts_left, resends_used, max_resends, state, channel, destination_masked, version,"
           " updated_at) VALUES (:p, :h, :seq, 0, :i, :e, :l, :a, :r, :mr, :s, :ch, :d, 0, UTC_TIMESTAMP(6))",
        soci::use(c.payment_id), soci::use(c.code_hash), soci::use(seq), soci::use(issued), soci::use(expires),
        soci::use(sent), soci::use(c.attempts_left), soci::use(c.resends_used), soci::use(s.max_resends),
        soci::use(state),
        soci::use(s.channel), soci::use(s.destination_masked);
    tx.commit();
    started = true;
  });
  if (!status) return std::move(status).error();
  return started;
}

Result<bool> OtpRepository::update(const StoredChallenge& s, int expected_version,
                                   const std::optional<Transition>& payment_transition) {
  bool updated = false;
  auto status = database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    // Lock order everywhere: payment, then challenge.
    (void)select_payment(sql, s.challenge.payment_id, true);
    auto current = select_challenge(sql, s.challenge.payment_id, true);
    if (!current || current->version != expected_version) return;
    if (payment_transition && !apply_transition(sql, *payment_transition)) return;
    const auto& c = s.challenge;
    const long long seq = c.seq;
    const long long expires = to_ms(c.expires_at);
    const long long sent = to_ms(c.last_sent_at);
    const std::string state(to_string(c.state));
    const int next = expected_version + 1;
    sql << "UPDATE otp_challenges SET code_hash = :h, seq = :seq, expires_at_ms = :e, last_sent_at_ms = :l,"
           " attempts_left = :a, resends_used = :r, state = :s, last_result = NULLIF(:lr, ''), version = :nv,"
           " updated_at = UTC_TIMESTAMP(6) WHERE payment_id = :p",
        soci::use(c.code_hash), soci::use(seq), soci::use(expires), soci::use(sent), soci::use(c.attempts_left),
        soci::use(c.resends_used), soci::use(state), soci::use(s.last_result), soci::use(next),
        soci::use(c.payment_id);
    tx.commit();
    updated = true;
  });
  if (!status) return std::move(status).error();
  return updated;
}

Status OtpRepository::mark_delivered(const std::string& payment_id, std::uint32_t seq) {
  const long long delivered = seq;
  return database_.with_session([&](soci::session& sql) {
    sql << "UPDATE otp_challenges SET delivered_seq = GREATEST(delivered_seq, :s) WHERE payment_id = :p",
        soci::use(delivered), soci::use(payment_id);
  });
}

Result<std::vector<StoredChallenge>> OtpRepository::due(OtpTime now, int limit) {
  std::vector<StoredChallenge> out;
  const long long now_ms = to_ms(now);
  auto status = database_.with_session([&](soci::session& sql) {
    out.clear();
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT " << kColumns << " FROM otp_challenges WHERE state = 'active'"
                                                 " AND expires_at_ms <= :now ORDER BY expires_at_ms LIMIT :lim",
         soci::use(now_ms), soci::use(limit));
    for (const auto& row : rows) out.push_back(to_stored(row));
  });
  if (!status) return std::move(status).error();
  return out;
}

}  // namespace payments::store
