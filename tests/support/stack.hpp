#pragma once
// A whole running system for black-box tests: the real payments-api, payments-worker and stripe-sim
// binaries against the real Kafka and MariaDB, isolated per test by a database and a topic prefix of its own.

#include <soci/soci.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "payments/events/kafka.hpp"
#include "payments/events/topics.hpp"
#include "payments/store/database.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

namespace payments::testing {

struct StackOptions {
  int sim_latency_ms = 20;
  std::vector<std::string> sim_args;  // extra stripe-sim flags (faults)
  int partitions = 3;
  std::size_t max_in_flight = 64;
  bool start_worker = true;
  std::map<std::string, std::string> worker_env;  // extra settings for the worker (OTP policy in tests)
  // Stripe webhooks. The API (and worker) get STRIPE_WEBHOOK_SECRET = these joined with ','; none: the
  // variable is empty and the API's webhook endpoint answers 503 unavailable.
  std::vector<std::string> webhook_secrets{"whsec_blackbox"};
  // The simulator POSTs every event it records to the API's /api/v1/webhooks/stripe, signed with
  // webhook_secrets.front(), as Stripe would. Off: the simulator records no events and the only webhooks
  // the API sees are the ones a test posts (post_webhook); turn on later with set_sim_webhooks(true).
  bool sim_webhooks = true;
  // The merchant of the API key the stack makes for itself, which get/post/post_payment send; also the
  // worker's KAFKA_DEFAULT_MERCHANT.
  std::string merchant = "m_blackbox";
  std::map<std::string, std::string> api_env;  // extra settings for the API (rate limits, JWTs)
  // Kafka for a broker other than the runner's: KAFKA_BROKERS and KAFKA_* security settings for the stack's
  // own clients (its producer, topic readers, clean-up) and payments-admin, and the API's and worker's
  // defaults (api_env / worker_env override them). Empty: the runner's environment.
  std::map<std::string, std::string> kafka_env;
  // The topic prefix (the worker's group is <prefix>worker); empty: a new one per stack. Set it to grant
  // ACLs on the exact topic names before the services start.
  std::string topic_prefix;
  // The API's public port speaks HTTPS (api_env sets API_TLS_*): start-up waits for the admin listener's
  // /ready and the public port's accept, and the plain-HTTP helpers (get, post_payment, ...) do not apply.
  bool api_https = false;
  // MYSQL_* settings on top of the environment's for every MySQL client of the stack (its own admin
  // connection, payments-admin, the API, the worker): another server, MYSQL_SSL_MODE, MYSQL_SSL_CA.
  std::map<std::string, std::string> mysql_env;
};

// An API key made with `payments-admin api-keys create`: its id and the secret it printed.
struct ApiKeyMade {
  std::string id;
  std::string secret;
  [[nodiscard]] std::string bearer() const { return "Bearer " + secret; }
};

class Stack {
 public:
  explicit Stack(StackOptions options = {});
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // The worker, with StackOptions::worker_env and then `env` (a restart with other settings).
  void start_worker(const std::map<std::string, std::string>& env = {});
  // Another worker in the same consumer group, with its own metrics port (returned) and log.
  struct ExtraWorker {
    std::unique_ptr<ChildProcess> process;
    std::uint16_t metrics_port = 0;
  };
  ExtraWorker start_extra_worker();
  // GET /metrics of a worker; the stack's own worker when no port is given.
  std::string worker_metrics(std::optional<std::uint16_t> port = std::nullopt);
  void kill_worker();  // SIGKILL: no drain, no commit
  int stop_worker();   // SIGTERM: graceful
  // SIGSTOP / SIGCONT to the Stripe simulator: Stripe hangs (connections accepted, nothing answered), then recovers.
  void signal_simulator(int signal);
  ChildProcess& api() { return *api_; }
  ChildProcess& worker() { return *worker_; }

  // These three send the stack's own API key (StackOptions::merchant, every scope).
  HttpResult post_payment(const std::string& body, std::optional<std::string> idempotency_key = std::nullopt);
  HttpResult get(const std::string& target);
  // Any request to the public port, with exactly these headers (no key unless one is among them).
  HttpResult request(const std::string& method, const std::string& target, const std::string& body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {});
  // GET on the API's admin listener (/ready with details, /metrics).
  HttpResult admin_get(const std::string& target);
  // Runs `payments-admin api-keys <args>` against this stack's database; returns its exit code and output.
  struct AdminRun {
    int exit_code = -1;
    std::string output;       // stdout and stderr as the test support's process captures them
    std::string last_line;    // of stdout: the secret, for create
  };
  AdminRun admin_api_keys(const std::vector<std::string>& args);
  // Runs `payments-admin <args>` with the services' environment (plus `extra_env`) against this stack.
  AdminRun run_admin(const std::vector<std::string>& args, const std::map<std::string, std::string>& extra_env = {});
  // A new key for `merchant` (REQUIREs success); extra flags as `payments-admin api-keys create` takes them.
  // With the API running, returns once the API accepts the key.
  ApiKeyMade create_api_key(const std::string& merchant, const std::vector<std::string>& flags = {});
  const ApiKeyMade& api_key() const { return api_key_; }
  const std::string& merchant() const { return options_.merchant; }
  const std::string& topic_prefix() const { return topic_prefix_; }
  const events::KafkaConnection& kafka() const { return kafka_; }
  // Polls /status until `done` accepts the status (default: a terminal one) or the timeout passes.
  std::string wait_for_status(const std::string& payment_id,
                              std::chrono::seconds timeout = std::chrono::seconds(30),
                              const std::function<bool(const std::string&)>& done = {});

  // Produces a raw command to this stack's payment-commands topic, as an order service would.
  void produce_command(const std::string& key, const std::string& value);
  // Produces any record, as anyone with write access to the broker could.
  void produce(events::OutgoingMessage message);
  // Reads everything on `topic` from the beginning until at least `count` messages arrived or time is up.
  std::vector<events::IncomingMessage> read_topic(const std::string& topic, std::size_t count,
                                                  std::chrono::seconds timeout = std::chrono::seconds(20));

  // GET on the simulator (read-back endpoints under /_sim/).
  HttpResult sim(const std::string& method, const std::string& target, const std::string& body = {},
                 const std::vector<std::pair<std::string, std::string>>& headers = {});
  // A successful charge the simulator recorded, with the payment and order the worker named in its metadata.
  struct SimCharge {
    std::string payment_intent;
    std::string payment_id;
    std::string order_id;
  };
  std::vector<SimCharge> sim_charges();
  // Number of successful charges the simulator recorded for a payment id (metadata[payment_id]).
  int charges_for(const std::string& payment_id);
  // Successful charges per metadata[payment_id], for every payment the simulator charged, in one read.
  std::map<std::string, int> charges_by_payment();
  // Refunds the simulator performed for a payment: refund_id (metadata) -> amount, and how many there were.
  struct SimRefunds {
    std::map<std::string, std::int64_t> by_refund_id;
    int count = 0;
    std::int64_t total = 0;
  };
  SimRefunds refunds_for(const std::string& payment_id);
  HttpResult post(const std::string& target, const std::string& body,
                  std::optional<std::string> idempotency_key = std::nullopt);

  // Stripe webhooks (see StackOptions::webhook_secrets, sim_webhooks).
  // The secret the simulator signs with (webhook_secrets.front()); "" when none is configured.
  const std::string& webhook_secret() const { return webhook_secret_; }
  // A Stripe-Signature header for `body` signed at `signed_at` (unix seconds; default now) with `secret`.
  static std::string sign_webhook(const std::string& secret, const std::string& body,
                                  std::optional<std::int64_t> signed_at = std::nullopt);
  // POSTs `body` byte for byte to the API's /api/v1/webhooks/stripe, with this Stripe-Signature header
  // (none when nullopt).
  HttpResult post_webhook(const std::string& body, std::optional<std::string> stripe_signature);
  // The same, signed now with webhook_secret().
  HttpResult post_signed_webhook(const std::string& body);
  // The simulator's webhook log, GET /_sim/webhooks: {"url", "pending", "events": [...], "attempts": [...]}.
  HttpResult sim_webhooks();
  // Points the simulator's webhook delivery at the API (signing with webhook_secret()), or turns it off.
  void set_sim_webhooks(bool on);
  // POST /_sim/events/{event_id}/resend: the simulator delivers a recorded event again (202), optionally
  // with another `created` in the body and another signing time `signed_at` (unix seconds).
  HttpResult resend_event(const std::string& event_id, std::optional<std::int64_t> created = std::nullopt,
                          std::optional<std::int64_t> signed_at = std::nullopt);
  // Waits until the simulator has an answer from the endpoint for every delivery it started (nothing
  // pending) and returns GET /_sim/webhooks's body.
  std::string wait_for_sim_webhooks(std::chrono::seconds timeout = std::chrono::seconds(20));
  std::string webhook_url() const;

  // SQL on this stack's database, as the administrative account.
  void sql(const std::function<void(soci::session&)>& work);

  const events::TopicNames& topics() const { return topics_; }
  const std::string& database() const { return database_name_; }
  std::uint16_t api_port() const { return api_port_; }
  std::string logs() const;
  // A log file inside this stack's run directory (removed with the stack).
  std::string log_path(const std::string& name) const { return run_dir_ + "/" + name; }
  std::map<std::string, std::string> service_env() const;

 private:
  StackOptions options_;
  std::string run_dir_;
  std::string database_name_;
  std::string topic_prefix_;
  events::TopicNames topics_;
  events::KafkaConnection kafka_;
  std::uint16_t api_port_ = 0;
  std::uint16_t sim_port_ = 0;
  std::uint16_t worker_port_ = 0;
  std::uint16_t admin_port_ = 0;
  ApiKeyMade api_key_;
  std::unique_ptr<store::Database> admin_;
  std::unique_ptr<events::Producer> producer_;
  std::unique_ptr<ChildProcess> sim_;
  std::unique_ptr<ChildProcess> api_;
  std::unique_ptr<ChildProcess> worker_;
  int worker_starts_ = 0;
  std::string webhook_secret_;
};

// The value of a Kafka record's header `name` ("" when absent).
std::string header_of(const events::IncomingMessage& message, std::string_view name);

// The value of a top-level string or integer field in a JSON object, as text ("" when absent).
std::string json_field(const std::string& json, const std::string& path);

std::string binary(const std::string& relative);  // path under the build directory

}  // namespace payments::testing
