#include "payments/store/otp_repository.hpp"

#include <soci/soci.h>

#include <exception>

#include "payments/core/log.hpp"
#include "rows.hpp"

namespace payments::store {
namespace {

using namespace detail;

constexpr const char* kColumns =
    "payment_id, code_hash, seq, delivered_seq, issued_at_ms, expires_at_ms, last_sent_at_ms, attempts_left,"
    " resends_used, state, channel, destination_masked, last_result, version, max_resends, destination_hash";

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
  c.state = known_value(row.get<std::string>(9), parse_otp_state, "otp_challenges.state");
  s.channel = row.get<std::string>(10);
  s.destination_masked = row.get<std::string>(11);
  s.last_result = text_or_empty(row, 12);
  s.version = row.get<int>(13);
  s.max_resends = row.get<int>(14);
  s.destination_hash = text_or_empty(row, 15);
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

// Writes every changing column of the challenge at version `next_version`. destination_hash only fills in
// a challenge started before it existed; it never changes afterwards.
void write_challenge(soci::session& sql, const StoredChallenge& s, int next_version) {
  const auto& c = s.challenge;
  const long long seq = c.seq;
  const long long expires = to_ms(c.expires_at);
  const long long sent = to_ms(c.last_sent_at);
  const std::string state(to_string(c.state));
  sql << "UPDATE otp_challenges SET code_hash = :h, seq = :seq, expires_at_ms = :e, last_sent_at_ms = :l,"
         " attempts_left = :a, resends_used = :r, state = :s, last_result = NULLIF(:lr, ''), version = :nv,"
         " destination_hash = COALESCE(NULLIF(:dh, ''), destination_hash), updated_at = UTC_TIMESTAMP(6)"
         " WHERE payment_id = :p",
      soci::use(c.code_hash), soci::use(seq), soci::use(expires), soci::use(sent), soci::use(c.attempts_left),
      soci::use(c.resends_used), soci::use(state), soci::use(s.last_result), soci::use(next_version),
      soci::use(s.destination_hash), soci::use(c.payment_id);
}

// ---- The per-destination limit -----------------------------------------------------------------------------
// Two workers may issue codes for two different payments to one destination at the same instant. Locking the
// payment or challenge rows cannot order them (they are different rows), and a plain count in each
// transaction lets both see N-1 and both insert. So every write that sends a code holds a MariaDB named lock
// for its destination, GET_LOCK('otp-dest:<hash>'), from BEFORE its transaction begins until AFTER that
// transaction committed or rolled back, and inside it counts the destination's sends and inserts its own
// row. For one destination, count-decide-insert-commit therefore runs one at a time across every connection
// of every worker and API instance on the server. The count is a plain read, and that is enough: the
// transaction (and with it any REPEATABLE READ snapshot) starts only once the lock is held, i.e. after the
// previous holder committed, so the count includes the previous holder's row; under READ COMMITTED every
// statement reads the latest commits anyway. The second worker therefore sees the first's code and refuses
// at the limit.
//
// Why not InnoDB locks alone: a locking read of the (destination_hash, sent_at_ms) range serialises only
// through gap locks, which READ COMMITTED does not take, and under REPEATABLE READ two such readers both get
// the gap and then deadlock on their inserts, also between neighbouring destinations in the index. The
// named lock is always the first lock taken and no one waits for it while holding row locks, so it adds no
// deadlock. Named locks are per server, not per database: two databases on one server with the same
// destination only wait for each other, they never count each other's rows. A connection that dies
// releases its named locks with it.
constexpr int kDestinationLockWaitSeconds = 10;

class DestinationLock {
 public:
  // Waits up to kDestinationLockWaitSeconds; held() is false when the wait ran out.
  DestinationLock(soci::session& sql, const std::string& destination_hash)
      : sql_(sql), name_("otp-dest:" + destination_hash.substr(0, 48)) {  // MySQL takes at most 64 characters
    int got = 0;
    soci::indicator ind = soci::i_ok;
    sql_ << "SELECT GET_LOCK(:n, :t)", soci::use(name_), soci::use(kDestinationLockWaitSeconds),
        soci::into(got, ind);
    held_ = ind == soci::i_ok && got == 1;
  }
  ~DestinationLock() {
    if (!held_) return;
    try {
      int released = 0;
      soci::indicator ind = soci::i_ok;
      sql_ << "SELECT RELEASE_LOCK(:n)", soci::use(name_), soci::into(released, ind);
    } catch (const std::exception& e) {
      // A lost connection took the lock with it; anything else is worth knowing about.
      log::warn("cannot release a one-time-code destination lock", {{"error", e.what()}});
    }
  }
  DestinationLock(const DestinationLock&) = delete;
  DestinationLock& operator=(const DestinationLock&) = delete;

  [[nodiscard]] bool held() const noexcept { return held_; }

 private:
  soci::session& sql_;
  std::string name_;
  bool held_ = false;
};

// Runs `work` in a transaction begun after the destination's lock was taken; the lock is released after the
// transaction ends (the transaction is destroyed first: committed by `work` or rolled back).
Status with_destination_lock(Database& database, const std::string& destination_hash,
                             const std::function<void(soci::session&, soci::transaction&)>& work) {
  bool locked = false;
  auto status = database.with_session([&](soci::session& sql) {
    DestinationLock lock(sql, destination_hash);
    locked = lock.held();
    if (!locked) return;
    soci::transaction tx(sql);
    work(sql, tx);
  });
  if (!status) return status;
  if (!locked) return Error::unavailable("another one-time code to the same destination is being sent; retry");
  return Ok{};
}

int count_sends(soci::session& sql, const std::string& destination_hash, OtpTime since) {
  const long long since_ms = to_ms(since);
  int sent = 0;
  sql << "SELECT COUNT(*) FROM otp_destination_sends WHERE destination_hash = :h AND sent_at_ms >= :s",
      soci::use(destination_hash), soci::use(since_ms), soci::into(sent);
  return sent;
}

void insert_send(soci::session& sql, const StoredChallenge& s) {
  const long long seq = s.challenge.seq;
  const long long sent_at = to_ms(s.challenge.last_sent_at);
  sql << "INSERT INTO otp_destination_sends (destination_hash, payment_id, seq, sent_at_ms) VALUES (:h, :p, :s, :t)",
      soci::use(s.destination_hash), soci::use(s.challenge.payment_id), soci::use(seq), soci::use(sent_at);
}

}  // namespace

Result<std::optional<StoredChallenge>> OtpRepository::find(const std::string& payment_id) {
  std::optional<StoredChallenge> out;
  auto status = database_.with_session([&](soci::session& sql) { out = select_challenge(sql, payment_id, false); });
  if (!status) return std::move(status).error();
  return out;
}

Result<CodeSendOutcome> OtpRepository::start(const Transition& transition, const StoredChallenge& s,
                                             const DestinationLimit& limit, const Transition& refusal) {
  if (s.destination_hash.empty()) return Error::internal("a one-time code cannot be sent without its destination hash");
  auto outcome = CodeSendOutcome::raced;
  auto status = with_destination_lock(database_, s.destination_hash, [&](soci::session& sql, soci::transaction& tx) {
    outcome = CodeSendOutcome::raced;
    if (count_sends(sql, s.destination_hash, limit.since) >= limit.max_codes) {
      if (!apply_transition(sql, database_.data_cipher(), refusal)) return;
      tx.commit();
      outcome = CodeSendOutcome::rate_limited;
      return;
    }
    if (!apply_transition(sql, database_.data_cipher(), transition)) return;
    const auto& c = s.challenge;
    const long long seq = c.seq;
    const long long issued = to_ms(c.issued_at);
    const long long expires = to_ms(c.expires_at);
    const long long sent = to_ms(c.last_sent_at);
    const std::string state(to_string(c.state));
    sql << "INSERT INTO otp_challenges (payment_id, code_hash, seq, delivered_seq, issued_at_ms, expires_at_ms,"
           " last_sent_at_ms, attempts_left, resends_used, max_resends, state, channel, destination_masked, version,"
           " destination_hash, updated_at) VALUES (:p, :h, :seq, 0, :i, :e, :l, :a, :r, :mr, :s, :ch, :d, 0, :dh,"
           " UTC_TIMESTAMP(6))",
        soci::use(c.payment_id), soci::use(c.code_hash), soci::use(seq), soci::use(issued), soci::use(expires),
        soci::use(sent), soci::use(c.attempts_left), soci::use(c.resends_used), soci::use(s.max_resends),
        soci::use(state), soci::use(s.channel), soci::use(s.destination_masked), soci::use(s.destination_hash);
    insert_send(sql, s);
    tx.commit();
    outcome = CodeSendOutcome::sent;
  });
  if (!status) return std::move(status).error();
  return outcome;
}

Result<bool> OtpRepository::update(const StoredChallenge& s, int expected_version,
                                   const std::optional<Transition>& payment_transition) {
  bool updated = false;
  auto status = database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    // Lock order everywhere: payment, then challenge.
    (void)select_payment(sql, database_.data_cipher(), s.challenge.payment_id, true);
    auto current = select_challenge(sql, s.challenge.payment_id, true);
    if (!current || current->version != expected_version) return;
    if (payment_transition && !apply_transition(sql, database_.data_cipher(), *payment_transition)) return;
    write_challenge(sql, s, expected_version + 1);
    tx.commit();
    updated = true;
  });
  if (!status) return std::move(status).error();
  return updated;
}

Result<CodeSendOutcome> OtpRepository::send_code(const StoredChallenge& sent, const StoredChallenge& refused,
                                                 int expected_version, const DestinationLimit& limit) {
  if (sent.destination_hash.empty()) {
    return Error::internal("a one-time code cannot be sent without its destination hash");
  }
  auto outcome = CodeSendOutcome::raced;
  auto status = with_destination_lock(database_, sent.destination_hash, [&](soci::session& sql, soci::transaction& tx) {
    outcome = CodeSendOutcome::raced;
    // Lock order everywhere: (destination,) payment, then challenge.
    (void)select_payment(sql, database_.data_cipher(), sent.challenge.payment_id, true);
    auto current = select_challenge(sql, sent.challenge.payment_id, true);
    if (!current || current->version != expected_version) return;
    if (count_sends(sql, sent.destination_hash, limit.since) >= limit.max_codes) {
      write_challenge(sql, refused, expected_version + 1);
      tx.commit();
      outcome = CodeSendOutcome::rate_limited;
      return;
    }
    write_challenge(sql, sent, expected_version + 1);
    insert_send(sql, sent);
    tx.commit();
    outcome = CodeSendOutcome::sent;
  });
  if (!status) return std::move(status).error();
  return outcome;
}

Result<int> OtpRepository::codes_sent_since(const std::string& destination_hash, OtpTime since) {
  int sent = 0;
  auto status = database_.with_session([&](soci::session& sql) { sent = count_sends(sql, destination_hash, since); });
  if (!status) return std::move(status).error();
  return sent;
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
