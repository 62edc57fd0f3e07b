#include "support/stack.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "payments/core/webhook_signature.hpp"
#include "payments/crypto/crypto.hpp"
#include "payments/json/json.hpp"
#include "support/test_keys.hpp"
#include "support/topic_reader.hpp"

namespace payments::testing {
namespace {

using namespace std::chrono_literals;

void wait_until(const std::function<bool()>& ready, std::chrono::seconds timeout, const std::string& what) {
  if (!eventually(ready, timeout, 50ms)) FAIL(what << " not ready within " << timeout.count() << "s");
}

// Waits for a started service's `ready`; when it does not come, the failure says whether the process exited
// and ends with the last lines of its log, which is removed with the stack.
void wait_for_service(ChildProcess& process, const std::function<bool()>& ready, std::chrono::seconds timeout,
                      const std::string& what) {
  if (eventually(ready, timeout, 50ms)) return;
  const std::string log = process.output();
  FAIL(what << " not ready within " << timeout.count() << "s"
            << (process.running() ? " (still running)" : " (it exited)") << "; the end of its log:\n"
            << log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
}

// Whether something accepts TCP connections on 127.0.0.1:port.
bool port_accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool accepted = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return accepted;
}

bool is_terminal(const std::string& status) {
  return status == "succeeded" || status == "failed" || status == "canceled" || status == "requires_action" ||
         status == "refunded" || status == "partially_refunded";
}

}  // namespace

std::string binary(const std::string& relative) { return std::string(PAYMENTS_BINARY_DIR) + "/" + relative; }

std::string header_of(const events::IncomingMessage& message, std::string_view name) {
  const std::string* value = events::header_value(message.headers, name);
  return value == nullptr ? std::string() : *value;
}

std::string json_field(const std::string& text, const std::string& path) {
  auto doc = json::parse(text, {.max_bytes = 16 * 1024 * 1024, .max_depth = 16});
  if (!doc) return {};
  const rapidjson::Value* v = &doc.value();
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto dot = path.find('.', start);
    const auto name = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!v->IsObject()) return {};
    auto it = v->FindMember(name.c_str());
    if (it == v->MemberEnd()) return {};
    v = &it->value;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (v->IsString()) return {v->GetString(), v->GetStringLength()};
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  return {};
}

Stack::Stack(StackOptions options) : options_(std::move(options)) {
  const auto id = random_token(system_random()).substr(0, 10);
  run_dir_ = std::filesystem::temp_directory_path() / ("payments-bb-" + id);
  std::filesystem::create_directories(run_dir_);
  database_name_ = "payments_bb_" + id;
  topic_prefix_ = options_.topic_prefix.empty() ? "bb-" + id + "." : options_.topic_prefix;
  kafka_ = kafka_connection(options_.kafka_env);
  topics_ = events::TopicNames::with_prefix(topic_prefix_);
  sim_port_ = free_port();
  api_port_ = free_port();
  worker_port_ = free_port();
  admin_port_ = free_port();
  if (!options_.webhook_secrets.empty()) webhook_secret_ = options_.webhook_secrets.front();

  auto admin = store::Database::connect({.mysql = mysql_admin("", options_.mysql_env), .pool_size = 1});
  REQUIRE_MESSAGE(admin, (admin ? "" : admin.error().message));
  admin_ = std::move(admin).value();
  const auto app_user = env_or("MYSQL_USER", "payments_app");
  REQUIRE(admin_->with_session([&](soci::session& s) {
    s << "CREATE DATABASE `" + database_name_ + "`";
    for (const char* host : {"%", "localhost"}) {
      s << "GRANT SELECT, INSERT, UPDATE, DELETE ON `" + database_name_ + "`.* TO '" + app_user + "'@'" + host + "'";
    }
  }));

  auto env = service_env();
  env["MYSQL_ADMIN_USER"] = env_or("MYSQL_ADMIN_USER", "root");
  env["MYSQL_ADMIN_PASSWORD"] = env_or("MYSQL_ADMIN_PASSWORD", "");
  {
    ChildProcess migrate(binary("tools/admin/payments-admin"), {"migrate", "--dir", source_dir() + "/schemas/mysql"},
                         env, run_dir_ + "/admin.log");
    REQUIRE_MESSAGE(migrate.wait_exit(60s) == 0, migrate.output());
    ChildProcess topics(binary("tools/admin/payments-admin"), {"topics", "--partitions",
                                                              std::to_string(options_.partitions)},
                        env, run_dir_ + "/admin.log");
    REQUIRE_MESSAGE(topics.wait_exit(60s) == 0, topics.output());
  }

  auto producer = events::Producer::create(
      {.brokers = kafka_.brokers, .client_properties = kafka_.client_properties, .client_id = "blackbox-test"});
  REQUIRE_MESSAGE(producer, (producer ? "" : producer.error().message));
  producer_ = std::move(producer).value();

  std::vector<std::string> sim_args{"--port", std::to_string(sim_port_), "--latency-ms",
                                    std::to_string(options_.sim_latency_ms)};
  if (options_.sim_webhooks && !webhook_secret_.empty()) {
    // The API's port is chosen above, so the simulator can be told where to deliver before the API is up;
    // nothing is delivered before the first payment.
    sim_args.insert(sim_args.end(), {"--webhook-url", webhook_url(), "--webhook-secret", webhook_secret_});
  }
  sim_args.insert(sim_args.end(), options_.sim_args.begin(), options_.sim_args.end());
  sim_ = std::make_unique<ChildProcess>(binary("tools/stripe-sim/stripe-sim"), sim_args,
                                        std::map<std::string, std::string>{}, run_dir_ + "/sim.log");
  wait_for_service(*sim_, [&] { return http_request(sim_port_, "GET", "/_sim/charges").status == 200; }, 20s,
                   "stripe-sim");

  api_key_ = create_api_key(options_.merchant);
  env = service_env();
  for (const auto& [k, v] : options_.api_env) env[k] = v;
  api_ = std::make_unique<ChildProcess>(binary("apps/api/payments-api"), std::vector<std::string>{}, env,
                                        run_dir_ + "/api.log");
  if (options_.api_https) {
    wait_for_service(
        *api_, [&] { return http_request(admin_port_, "GET", "/ready").status == 200 && port_accepts(api_port_); },
        30s, "payments-api");
  } else {
    wait_for_service(*api_, [&] { return http_request(api_port_, "GET", "/ready").status == 200; }, 30s,
                     "payments-api");
  }
  if (options_.start_worker) start_worker();
}

Stack::~Stack() {
  if (worker_) worker_->stop(SIGTERM);
  if (api_) api_->stop(SIGTERM);
  if (sim_) sim_->stop(SIGTERM);
  producer_.reset();
  (void)events::delete_topics(kafka_, topics_.all(), 10s);
  if (admin_) {
    (void)admin_->with_session([&](soci::session& s) { s << "DROP DATABASE IF EXISTS `" + database_name_ + "`"; });
  }
  std::error_code ec;
  std::filesystem::remove_all(run_dir_, ec);
}

std::map<std::string, std::string> Stack::service_env() const {
  // Set even when empty, so a STRIPE_WEBHOOK_SECRET in the test runner's environment does not leak in.
  std::string webhook_secrets;
  for (const auto& secret : options_.webhook_secrets) {
    webhook_secrets += (webhook_secrets.empty() ? "" : ",") + secret;
  }
  std::map<std::string, std::string> env{
      {"KAFKA_BROKERS", kafka_.brokers},
      {"KAFKA_TOPIC_PREFIX", topic_prefix_},
      // Commands an order service produces without a merchant_id are the stack's own merchant's.
      {"KAFKA_DEFAULT_MERCHANT", options_.merchant},
      {"WORKER_GROUP_ID", topic_prefix_ + "worker"},
      {"MYSQL_HOST", env_or("MYSQL_HOST", "127.0.0.1")},
      {"MYSQL_PORT", env_or("MYSQL_PORT", "3306")},
      {"MYSQL_USER", env_or("MYSQL_USER", "payments_app")},
      {"MYSQL_PASSWORD", env_or("MYSQL_PASSWORD", "payments_app_dev")},
      {"MYSQL_DATABASE", database_name_},
      {"STRIPE_SECRET_KEY", "sk_test_blackbox"},
      {"STRIPE_API_BASE", "http://127.0.0.1:" + std::to_string(sim_port_)},
      {"STRIPE_WEBHOOK_SECRET", webhook_secrets},
      // The simulator has no rate limit unless a test gives it one (pacing_test): pace far above what any
      // test sends, so pacing stays in the path without slowing the tests (the test-key default is 20/s).
      {"STRIPE_MAX_REQUESTS_PER_SECOND", "2000"},
      {"OTP_SECRET", "otp_blackbox_secret"},
      {"INTERNAL_EVENT_KEY", kTestInternalEventKey},
      {"DATA_ENCRYPTION_KEY", kTestDataKey1},
      {"API_PORT", std::to_string(api_port_)},
      {"API_BIND_ADDRESS", "127.0.0.1"},
      {"API_ADMIN_PORT", std::to_string(admin_port_)},
      {"WORKER_METRICS_PORT", std::to_string(worker_port_)},
      {"WORKER_METRICS_BIND_ADDRESS", "127.0.0.1"},
      {"LOG_LEVEL", "info"},
  };
  for (const auto& [name, value] : options_.kafka_env) env[name] = value;
  for (const auto& [name, value] : options_.mysql_env) env[name] = value;
  return env;
}

void Stack::start_worker(const std::map<std::string, std::string>& overrides) {
  auto env = service_env();
  for (const auto& [k, v] : options_.worker_env) env[k] = v;
  for (const auto& [k, v] : overrides) env[k] = v;
  worker_ = std::make_unique<ChildProcess>(binary("apps/worker/payments-worker"),
                                           std::vector<std::string>{"--max-in-flight",
                                                                    std::to_string(options_.max_in_flight)},
                                           env, run_dir_ + "/worker.log");
  ++worker_starts_;
  wait_for_service(
      *worker_, [&] { return http_request(worker_port_, "GET", "/health").status == 200; }, 30s, "payments-worker");
}

Stack::ExtraWorker Stack::start_extra_worker() {
  auto env = service_env();
  for (const auto& [k, v] : options_.worker_env) env[k] = v;
  ExtraWorker extra;
  extra.metrics_port = free_port();
  env["WORKER_METRICS_PORT"] = std::to_string(extra.metrics_port);
  extra.process = std::make_unique<ChildProcess>(
      binary("apps/worker/payments-worker"),
      std::vector<std::string>{"--max-in-flight", std::to_string(options_.max_in_flight)}, env,
      run_dir_ + "/worker-" + std::to_string(extra.metrics_port) + ".log");
  const auto port = extra.metrics_port;
  wait_for_service(*extra.process, [&] { return http_request(port, "GET", "/health").status == 200; }, 30s,
                   "another payments-worker");
  return extra;
}

std::string Stack::worker_metrics(std::optional<std::uint16_t> port) {
  return http_request(port.value_or(worker_port_), "GET", "/metrics").body;
}

void Stack::kill_worker() { worker_->stop(SIGKILL); }
int Stack::stop_worker() { return worker_->stop(SIGTERM); }
void Stack::signal_simulator(int signal) { sim_->signal(signal); }

HttpResult Stack::post_payment(const std::string& body, std::optional<std::string> key) {
  return post("/api/v1/payments", body, std::move(key));
}

HttpResult Stack::get(const std::string& target) {
  return request("GET", target, {}, {{"Authorization", api_key_.bearer()}});
}

HttpResult Stack::request(const std::string& method, const std::string& target, const std::string& body,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
  return http_request(api_port_, method, target, body, headers);
}

HttpResult Stack::admin_get(const std::string& target) { return http_request(admin_port_, "GET", target); }

Stack::AdminRun Stack::admin_api_keys(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"api-keys"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_admin(argv);
}

Stack::AdminRun Stack::run_admin(const std::vector<std::string>& args,
                                 const std::map<std::string, std::string>& extra_env) {
  const std::string out_path = run_dir_ + "/admin-run.out";
  const std::string err_path = run_dir_ + "/admin-run.err";
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  auto env = service_env();
  for (const auto& [k, v] : extra_env) env[k] = v;
  ChildProcess admin(binary("tools/admin/payments-admin"), args, env, out_path, err_path);
  AdminRun run;
  run.exit_code = admin.wait_exit(30s);
  run.output = admin.output();
  std::ifstream err(err_path);
  run.output += std::string(std::istreambuf_iterator<char>(err), {});
  std::string stdout_text = admin.output();
  while (!stdout_text.empty() && stdout_text.back() == '\n') stdout_text.pop_back();
  run.last_line = stdout_text.substr(stdout_text.find_last_of('\n') + 1);
  return run;
}

ApiKeyMade Stack::create_api_key(const std::string& merchant, const std::vector<std::string>& flags) {
  std::vector<std::string> args{"create", "--merchant", merchant};
  args.insert(args.end(), flags.begin(), flags.end());
  const AdminRun run = admin_api_keys(args);
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  ApiKeyMade key;
  key.secret = run.last_line;
  const auto at = run.output.find("key_id: ");
  REQUIRE(at != std::string::npos);
  key.id = run.output.substr(at + 8, run.output.find('\n', at) - at - 8);
  if (api_) {
    // A running API picks new keys up within a second (its snapshot's refresh): wait until it knows this one.
    wait_until([&] { return request("GET", "/api/v1/refunds/ref_probe", {}, {{"Authorization", key.bearer()}}).status != 401; },
               10s, "the new API key");
  }
  return key;
}

std::string Stack::wait_for_status(const std::string& payment_id, std::chrono::seconds timeout,
                                   const std::function<bool(const std::string&)>& done) {
  std::string status;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    auto r = get("/api/v1/payments/" + payment_id + "/status");
    if (r.status == 200) {
      status = json_field(r.body, "status");
      if (done ? done(status) : is_terminal(status)) return status;
    }
    std::this_thread::sleep_for(100ms);
  }
  return status;
}

void Stack::produce_command(const std::string& key, const std::string& value) {
  produce({topics_.commands, key, value, {}});
}

void Stack::produce(events::OutgoingMessage message) {
  auto delivered = producer_->produce_and_wait(std::move(message));
  REQUIRE_MESSAGE(delivered, (delivered ? "" : delivered.error().message));
}

std::vector<events::IncomingMessage> Stack::read_topic(const std::string& topic, std::size_t count,
                                                       std::chrono::seconds timeout) {
  return read_topics_until(
      kafka_, {topic}, [count](const std::vector<events::IncomingMessage>& so_far) { return so_far.size() >= count; },
      timeout);
}

HttpResult Stack::sim(const std::string& method, const std::string& target, const std::string& body,
                      const std::vector<std::pair<std::string, std::string>>& headers) {
  return http_request(sim_port_, method, target, body, headers);
}

namespace {

// Calls `each` for every record of a simulator read-back list (/_sim/charges, /_sim/refunds).
void for_each_sim_record(Stack& stack, const std::string& path,
                         const std::function<void(const rapidjson::Value&)>& each) {
  auto r = stack.sim("GET", path);
  REQUIRE(r.status == 200);
  // The read-back is an array; json::parse insists on objects, so wrap it.
  auto doc = json::parse("{\"data\":" + r.body + "}", {.max_bytes = 64 * 1024 * 1024, .max_depth = 16});
  REQUIRE(doc);
  for (const auto& record : doc.value()["data"].GetArray()) each(record);
}

// A record's metadata[name], "" when absent.
std::string metadata_of(const rapidjson::Value& record, const char* name) {
  if (!record.HasMember("metadata") || !record["metadata"].HasMember(name)) return {};
  return record["metadata"][name].GetString();
}

}  // namespace

std::vector<Stack::SimCharge> Stack::sim_charges() {
  std::vector<SimCharge> out;
  for_each_sim_record(*this, "/_sim/charges", [&](const rapidjson::Value& charge) {
    out.push_back({charge["payment_intent"].GetString(), metadata_of(charge, "payment_id"),
                   metadata_of(charge, "order_id")});
  });
  return out;
}

int Stack::charges_for(const std::string& payment_id) {
  int count = 0;
  for (const auto& charge : sim_charges()) count += charge.payment_id == payment_id ? 1 : 0;
  return count;
}

std::map<std::string, int> Stack::charges_by_payment() {
  std::map<std::string, int> counts;
  for (const auto& charge : sim_charges()) ++counts[charge.payment_id];
  return counts;
}

Stack::SimRefunds Stack::refunds_for(const std::string& payment_id) {
  SimRefunds out;
  for_each_sim_record(*this, "/_sim/refunds", [&](const rapidjson::Value& refund) {
    if (metadata_of(refund, "payment_id") != payment_id) return;
    ++out.count;
    const std::int64_t amount = refund["amount"].GetInt64();
    out.total += amount;
    if (refund["metadata"].HasMember("refund_id")) out.by_refund_id[refund["metadata"]["refund_id"].GetString()] += amount;
  });
  return out;
}

HttpResult Stack::post(const std::string& target, const std::string& body, std::optional<std::string> key) {
  std::vector<std::pair<std::string, std::string>> headers{{"Authorization", api_key_.bearer()}};
  if (key) headers.emplace_back("Idempotency-Key", *key);
  return http_request(api_port_, "POST", target, body, headers);
}

std::string Stack::webhook_url() const {
  return "http://127.0.0.1:" + std::to_string(api_port_) + "/api/v1/webhooks/stripe";
}

std::string Stack::sign_webhook(const std::string& secret, const std::string& body,
                                std::optional<std::int64_t> signed_at) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return payments::sign_webhook(Secret(secret), signed_at.value_or(now), body, crypto::hmac_sha256_hex);
}

HttpResult Stack::post_webhook(const std::string& body, std::optional<std::string> stripe_signature) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (stripe_signature) headers.emplace_back("Stripe-Signature", *stripe_signature);
  return http_request(api_port_, "POST", "/api/v1/webhooks/stripe", body, headers);
}

HttpResult Stack::post_signed_webhook(const std::string& body) {
  REQUIRE_MESSAGE(!webhook_secret_.empty(), "this stack has no webhook secret (StackOptions::webhook_secrets)");
  return post_webhook(body, sign_webhook(webhook_secret_, body));
}

HttpResult Stack::sim_webhooks() { return sim("GET", "/_sim/webhooks"); }

void Stack::set_sim_webhooks(bool on) {
  std::string body = R"({"url":null})";
  if (on) {
    REQUIRE_MESSAGE(!webhook_secret_.empty(), "this stack has no webhook secret (StackOptions::webhook_secrets)");
    json::Builder b;
    b.begin_object().field("url", webhook_url()).field("secret", webhook_secret_).end_object();
    body = b.str();
  }
  auto r = sim("POST", "/_sim/webhooks/config", body);
  REQUIRE_MESSAGE(r.status == 200, r.body);
}

HttpResult Stack::resend_event(const std::string& event_id, std::optional<std::int64_t> created,
                               std::optional<std::int64_t> signed_at) {
  std::string target = "/_sim/events/" + event_id + "/resend";
  char separator = '?';
  if (created) {
    target += separator + std::string("created=") + std::to_string(*created);
    separator = '&';
  }
  if (signed_at) target += separator + std::string("signed_at=") + std::to_string(*signed_at);
  return sim("POST", target);
}

std::string Stack::wait_for_sim_webhooks(std::chrono::seconds timeout) {
  std::string body;
  wait_until(
      [&] {
        auto r = sim_webhooks();
        body = r.body;
        return r.status == 200 && json_field(r.body, "pending") == "0";
      },
      timeout, "the simulator's webhook deliveries");
  return body;
}

void Stack::sql(const std::function<void(soci::session&)>& work) {
  auto db = store::Database::connect({.mysql = mysql_admin(database_name_, options_.mysql_env), .pool_size = 1});
  REQUIRE(db);
  auto done = db.value()->with_session(work);
  REQUIRE_MESSAGE(done, (done ? "" : done.error().message));
}

std::string Stack::logs() const {
  std::string out;
  for (const auto* p : {api_.get(), worker_.get()}) {
    if (p != nullptr) out += p->output();
  }
  return out;
}

}  // namespace payments::testing
