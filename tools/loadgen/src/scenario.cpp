#include "scenario.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "completion_tracker.hpp"
#include "http_client.hpp"
#include "load.hpp"
#include "payments/core/kafka_settings.hpp"
#include "payments/events/topics.hpp"
#include "payments/json/json.hpp"
#include "proc_stats.hpp"
#include "report.hpp"

namespace payments::loadgen {

namespace {

using namespace std::chrono_literals;

// Letters only: ids of the form bench-<letters>-<n> never contain a digit run long enough to look like a
// card number (the API refuses those with 422 raw_card_data, separators and all).
std::string random_run_id() {
  std::mt19937_64 random{std::random_device{}()};
  std::string id;
  for (int i = 0; i < 10; ++i) id += static_cast<char>('a' + random() % 26);
  return id;
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// Processes to watch, from repeated `--watch name=pid`.
struct Watched {
  std::string name;
  pid_t pid = 0;
  ProcessSample before;
  ProcessSample after;
};

// MariaDB's global counters (SHOW GLOBAL STATUS) through the command bench.sh hands over; tab-separated lines.
std::map<std::string, double> database_status(const std::string& command) {
  std::map<std::string, double> out;
  if (command.empty()) return out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char line[512];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    std::istringstream in(line);
    std::string name;
    double value = 0;
    if (in >> name >> value) out[name] = value;
  }
  ::pclose(pipe);
  return out;
}

// Highest payments_worker_in_flight seen on the worker's /metrics while the load runs.
class InFlightSampler {
 public:
  explicit InFlightSampler(std::uint16_t port) : port_(port) {
    if (port_ != 0) thread_ = std::thread([this] { loop(); });
  }
  ~InFlightSampler() { stop(); }
  InFlightSampler(const InFlightSampler&) = delete;
  InFlightSampler& operator=(const InFlightSampler&) = delete;
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  [[nodiscard]] std::int64_t max() const { return max_.load(); }

 private:
  void loop() {
    static const std::string kGauge = "\npayments_worker_in_flight ";
    while (!stop_.load()) {
      const auto reply = fetch("127.0.0.1", port_, "GET", "/metrics", 2s);
      const auto at = reply.body.find(kGauge);
      if (at != std::string::npos) {
        const auto value = std::atoll(reply.body.c_str() + at + kGauge.size());
        if (value > max_.load()) max_ = value;
      }
      std::this_thread::sleep_for(250ms);
    }
  }
  std::uint16_t port_;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> max_{0};
  std::thread thread_;
};

struct ChargeCheck {
  bool checked = false;
  bool ok = true;
  std::size_t charges_total = 0;  // every charge the simulator recorded in this run
  std::size_t with_one = 0;       // submitted payments with exactly one charge
  std::size_t completed_without_charge = 0;
  std::size_t duplicated = 0;     // payment ids charged more than once (any id, ours or not)
  std::string problem;
};

// 429s the simulator answered for exceeding its rate limit (GET /_sim/faults), or -1 when it cannot say.
std::int64_t sim_rate_limited(std::uint16_t sim_port) {
  if (sim_port == 0) return -1;
  const auto reply = fetch("127.0.0.1", sim_port, "GET", "/_sim/faults", 10s);
  if (reply.status != 200) return -1;
  auto doc = json::parse(reply.body, {.max_bytes = reply.body.size() + 1, .max_depth = 4});
  if (!doc || !doc.value().HasMember("injected")) return -1;
  const auto& injected = doc.value()["injected"];
  return injected.HasMember("rate_limited") && injected["rate_limited"].IsInt64() ? injected["rate_limited"].GetInt64()
                                                                                 : -1;
}

ChargeCheck check_charges(std::uint16_t sim_port, const PaymentLedger& ledger, std::size_t expected_completed) {
  ChargeCheck check;
  if (sim_port == 0) return check;
  check.checked = true;
  const auto reply = fetch("127.0.0.1", sim_port, "GET", "/_sim/charges", 120s);
  if (reply.status != 200) {
    check.ok = false;
    check.problem = "GET /_sim/charges answered " + std::to_string(reply.status) + " " + reply.error;
    return check;
  }
  // The read-back is an array; json::parse takes objects, so wrap it.
  auto doc = json::parse("{\"data\":" + reply.body + "}", {.max_bytes = reply.body.size() + 64, .max_depth = 16});
  if (!doc) {
    check.ok = false;
    check.problem = "GET /_sim/charges is not JSON: " + doc.error().message;
    return check;
  }
  std::unordered_map<std::string, std::size_t> charges;
  for (const auto& charge : doc.value()["data"].GetArray()) {
    ++check.charges_total;
    if (!charge.HasMember("metadata") || !charge["metadata"].HasMember("payment_id")) continue;
    ++charges[charge["metadata"]["payment_id"].GetString()];
  }
  for (const auto& [id, n] : charges) {
    if (n > 1) ++check.duplicated;
  }
  for (const auto& id : ledger.submitted_ids()) {
    auto it = charges.find(id);
    const std::size_t n = it == charges.end() ? 0 : it->second;
    if (n == 1) ++check.with_one;
    if (n == 0 && ledger.seen(id)) ++check.completed_without_charge;
  }
  if (check.duplicated > 0) {
    check.ok = false;
    check.problem = std::to_string(check.duplicated) + " payment ids were charged more than once";
  } else if (check.completed_without_charge > 0) {
    check.ok = false;
    check.problem = std::to_string(check.completed_without_charge) + " completed payments have no charge";
  } else if (check.with_one < expected_completed) {
    check.ok = false;
    check.problem = "only " + std::to_string(check.with_one) + " of " + std::to_string(expected_completed) +
                    " completed payments have their charge";
  }
  return check;
}

// The Authorization header for --api-key-file: "Bearer " and the file's first line. The key is read from a
// file so that it never shows in `ps` or a log.
Result<std::string> authorization_from(const std::string& path) {
  std::ifstream in(path);
  std::string key;
  if (!in) return Error::validation("--api-key-file", "cannot read " + path);
  std::getline(in, key);
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ' || key.back() == '\t')) key.pop_back();
  if (key.empty()) return Error::validation("--api-key-file", path + " holds no key on its first line");
  return "Bearer " + key;
}

void write_latency(json::Builder& out, std::string_view name, LatencySamples& samples) {
  out.key(name).begin_object();
  out.field("count", static_cast<std::int64_t>(samples.count()));
  out.key("p50").raw(fixed(samples.quantile_ms(0.50)));
  out.key("p90").raw(fixed(samples.quantile_ms(0.90)));
  out.key("p95").raw(fixed(samples.quantile_ms(0.95)));
  out.key("p99").raw(fixed(samples.quantile_ms(0.99)));
  out.key("max").raw(fixed(samples.max_ms()));
  out.key("mean").raw(fixed(samples.mean_ms()));
  out.end_object();
}

void write_series(json::Builder& out, std::string_view name, const std::vector<std::uint64_t>& series) {
  out.key(name).raw([&] {
    std::string text = "[";
    for (std::size_t i = 0; i < series.size(); ++i) text += (i ? "," : "") + std::to_string(series[i]);
    return text + "]";
  }());
}

}  // namespace

const std::set<std::string>& scenario_options() {
  static const std::set<std::string> options = {
      "--name",        "--mode",      "--describe",     "--host",         "--api-port",  "--connections",
      "--threads",     "--duration-s", "--rate",        "--count",        "--brokers",   "--topic-prefix",
      "--drain-timeout-s", "--sim-port", "--worker-metrics-port", "--watch", "--db-status-cmd", "--out",
      "--api-key-file"};
  return options;
}

const std::set<std::string>& scenario_flags() {
  static const std::set<std::string> flags = {"--track", "--no-idempotency-keys"};
  return flags;
}

namespace {

// --brokers, with the security settings every Kafka client of the project takes from the environment.
Result<events::KafkaConnection> kafka_connection(const Arguments& args) {
  auto properties = kafka_client_properties(process_environment(), process_environment_names());
  if (!properties) return std::move(properties).error();
  return events::KafkaConnection{args.text("--brokers", "127.0.0.1:9092"), std::move(properties).value()};
}

}  // namespace

int run_scenario(const Arguments& args) {
  const auto name = args.text("--name", "scenario");
  const auto mode = args.text("--mode", "api");
  const auto kafka = kafka_connection(args);
  if (!kafka) {
    std::fprintf(stderr, "payments-loadgen: %s\n", kafka.error().message.c_str());
    return 1;
  }
  const events::KafkaConnection& connection = kafka.value();
  const auto prefix = args.text("--topic-prefix");
  const auto topics = events::TopicNames::with_prefix(prefix);
  const auto out_path = args.text("--out");
  auto duration_s = args.number("--duration-s", 20);
  auto rate = args.number("--rate", 0);
  auto count = args.number("--count", 0);
  auto connections = args.number("--connections", 64);
  auto threads = args.number("--threads", 1);
  auto drain_s = args.number("--drain-timeout-s", 300);
  auto api_port = args.number("--api-port", 8080);
  auto sim_port = args.number("--sim-port", 0);
  auto metrics_port = args.number("--worker-metrics-port", 0);
  for (const auto* n : {&duration_s, &rate, &count, &connections, &threads, &drain_s, &api_port, &sim_port,
                        &metrics_port}) {
    if (!*n) {
      std::fprintf(stderr, "payments-loadgen: %s\n", n->error().message.c_str());
      return 1;
    }
  }
  if (mode != "api" && mode != "kafka") {
    std::fprintf(stderr, "payments-loadgen: --mode must be api or kafka\n");
    return 1;
  }
  std::string authorization;
  if (args.has("--api-key-file")) {
    auto read = authorization_from(args.text("--api-key-file"));
    if (!read) {
      std::fprintf(stderr, "payments-loadgen: %s\n", read.error().message.c_str());
      return 1;
    }
    authorization = std::move(read).value();
  }
  const bool track = args.flag("--track");
  const auto run_id = random_run_id();
  const auto id_prefix = "bench-" + run_id + "-";

  std::vector<Watched> watched;
  for (const auto& spec : args.all("--watch")) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos) continue;
    watched.push_back({spec.substr(0, eq), static_cast<pid_t>(std::atoi(spec.c_str() + eq + 1)), {}, {}});
  }
  watched.push_back({"loadgen", ::getpid(), {}, {}});

  PaymentLedger ledger;
  std::unique_ptr<CompletionTracker> tracker;
  if (track) {
    auto started = CompletionTracker::start(connection, "loadgen-" + run_id, topics.success, topics.failed, ledger);
    if (!started) {
      std::fprintf(stderr, "payments-loadgen: %s\n", started.error().message.c_str());
      return 1;
    }
    tracker = std::move(started).value();
  }

  // Warm-up: one payment through the same path, followed to its event when tracking, so the tracker's
  // group is assigned and every connection pool is open before the clock starts.
  const auto port = static_cast<std::uint16_t>(api_port.value());
  std::string warmup_id;
  {
    PaymentLedger warmup;
    if (mode == "api") {
      HttpLoadOptions once{.host = args.text("--host", "127.0.0.1"), .port = port, .connections = 1,
                           .duration = 10s, .rate = 0, .idempotency_keys = false, .authorization = authorization,
                           .id_prefix = id_prefix + "warmup-", .max_requests = 1};
      auto r = run_http_load(once, warmup);
      if (r.accepted == 0) {
        std::fprintf(stderr, "payments-loadgen: the API refused the warm-up payment: %s\n", r.first_error.c_str());
        return 1;
      }
    } else {
      KafkaLoadOptions once{
          .kafka = connection, .topic = topics.commands, .count = 1, .id_prefix = id_prefix + "warmup-"};
      auto r = run_kafka_load(once, warmup);
      if (r.accepted == 0) {
        std::fprintf(stderr, "payments-loadgen: Kafka refused the warm-up command: %s\n", r.first_error.c_str());
        return 1;
      }
    }
    warmup_id = warmup.submitted_ids().front();
    if (track) {
      const auto until = Clock::now() + 60s;
      while (!ledger.seen(warmup_id) && Clock::now() < until) std::this_thread::sleep_for(20ms);
      if (!ledger.seen(warmup_id)) {
        std::fprintf(stderr, "payments-loadgen: the warm-up payment %s got no event within 60s\n", warmup_id.c_str());
        return 1;
      }
    }
  }

  InFlightSampler in_flight(static_cast<std::uint16_t>(metrics_port.value()));
  const auto db_command = args.text("--db-status-cmd");
  const auto db_before = database_status(db_command);
  for (auto& w : watched) w.before = read_process(w.pid);
  const double busy_before = machine_busy_cpu_seconds();

  std::fprintf(stderr, "payments-loadgen: %s: offering load (%s)\n", name.c_str(), mode.c_str());
  LoadResult load;
  const auto duration = std::chrono::milliseconds(static_cast<std::int64_t>(duration_s.value() * 1000));
  if (mode == "api") {
    load = run_http_load({.host = args.text("--host", "127.0.0.1"),
                          .port = port,
                          .connections = static_cast<int>(connections.value()),
                          .threads = static_cast<int>(threads.value()),
                          .duration = duration,
                          .rate = rate.value(),
                          .idempotency_keys = !args.flag("--no-idempotency-keys"),
                          .authorization = authorization,
                          .id_prefix = id_prefix},
                         ledger);
  } else {
    load = run_kafka_load({.kafka = connection,
                           .topic = topics.commands,
                           .count = static_cast<std::uint64_t>(count.value()),
                           .rate = rate.value(),
                           .duration = duration,
                           .id_prefix = id_prefix},
                          ledger);
  }

  if (track) {
    std::fprintf(stderr, "payments-loadgen: %s: %llu accepted, waiting for their events\n", name.c_str(),
                 static_cast<unsigned long long>(load.accepted));
    const auto until = Clock::now() + std::chrono::seconds(static_cast<std::int64_t>(drain_s.value()));
    while (ledger.completed() < load.accepted && Clock::now() < until) std::this_thread::sleep_for(100ms);
  }
  const auto finished = Clock::now();
  for (auto& w : watched) w.after = read_process(w.pid);
  const double busy_after = machine_busy_cpu_seconds();
  const auto db_after = database_status(db_command);
  in_flight.stop();

  auto outcome = ledger.outcome(load.started);
  const auto charges = check_charges(static_cast<std::uint16_t>(sim_port.value()), ledger, outcome.completed);
  const double load_s = seconds_between(load.started, load.finished);
  const double completion_s = outcome.completed > 0 ? seconds_between(load.started, outcome.last_completion) : 0;
  const double window_s = track ? seconds_between(load.started, finished) : load_s;
  const std::size_t payments = track ? outcome.completed : load.accepted;

  json::Builder out;
  out.begin_object();
  out.field("scenario", name).field("description", args.text("--describe")).field("mode", mode);
  out.field("loop", mode == "kafka" ? (count.value() > 0 ? "backlog" : "open") : (rate.value() > 0 ? "open" : "closed"));
  out.key("offered_rate_per_s").raw(fixed(rate.value()));
  out.field("connections", static_cast<std::int64_t>(mode == "api" ? connections.value() : 0));
  out.key("api_key").value(!authorization.empty());  // whether every request carried Authorization
  out.key("load_seconds").raw(fixed(load_s));
  out.field("offered", static_cast<std::int64_t>(load.offered));
  out.field("accepted", static_cast<std::int64_t>(load.accepted));
  out.key("accepted_per_s").raw(fixed(load_s > 0 ? static_cast<double>(load.accepted) / load_s : 0));
  out.key("errors").begin_object();
  out.field("transport", static_cast<std::int64_t>(load.transport_errors));
  out.field("rejected", static_cast<std::int64_t>(load.offered - load.accepted - load.transport_errors));
  out.key("http_statuses").begin_object();
  for (const auto& [status, n] : load.statuses) out.field(std::to_string(status), static_cast<std::int64_t>(n));
  out.end_object();
  out.field("first", load.first_error);
  out.field("tracker", static_cast<std::int64_t>(tracker ? tracker->errors() : 0));
  out.end_object();
  write_latency(out, mode == "api" ? "api_latency_ms" : "produce_ack_latency_ms", load.latency);
  out.key("tracked").value(track);
  if (track) {
    out.field("completed", static_cast<std::int64_t>(outcome.completed));
    out.field("succeeded", static_cast<std::int64_t>(outcome.succeeded));
    out.field("failed", static_cast<std::int64_t>(outcome.failed));
    out.field("not_completed", static_cast<std::int64_t>(load.accepted - std::min<std::size_t>(load.accepted, outcome.completed)));
    out.field("duplicate_events", static_cast<std::int64_t>(outcome.duplicate_events));
    out.key("completion_seconds").raw(fixed(completion_s));
    out.key("completed_per_s").raw(fixed(completion_s > 0 ? static_cast<double>(outcome.completed) / completion_s : 0));
    write_latency(out, "end_to_end_ms", outcome.end_to_end);
    out.key("end_to_end_quantiles_ms").raw([&] {
      std::string text = "[";
      for (int q = 1; q <= 100; ++q) {
        text += (q > 1 ? "," : "") + fixed(outcome.end_to_end.quantile_ms(q / 100.0));
      }
      return text + "]";
    }());
    write_series(out, "completed_per_second", outcome.completed_per_second);
  }
  write_series(out, "accepted_per_second", load.accepted_per_second);
  out.field("worker_in_flight_max", in_flight.max());
  out.key("window_seconds").raw(fixed(window_s));
  out.key("machine_busy_cpu_seconds").raw(fixed(busy_after - busy_before));
  out.key("processes").begin_object();
  for (const auto& w : watched) {
    const double cpu = w.after.cpu_seconds - w.before.cpu_seconds;
    out.key(w.name).begin_object();
    out.field("pid", static_cast<std::int64_t>(w.pid));
    out.key("alive").value(w.after.alive);
    out.key("cpu_seconds").raw(fixed(cpu));
    out.key("cpu_ms_per_payment").raw(fixed(payments > 0 ? cpu * 1000.0 / static_cast<double>(payments) : 0));
    out.key("vm_hwm_mb").raw(fixed(static_cast<double>(w.after.vm_hwm_kb) / 1024.0, 1));
    out.key("vm_rss_mb").raw(fixed(static_cast<double>(w.after.vm_rss_kb) / 1024.0, 1));
    out.end_object();
  }
  out.end_object();
  out.key("database").begin_object();
  for (const auto& [counter, after] : db_after) {
    auto before = db_before.find(counter);
    if (before == db_before.end()) continue;
    const double delta = after - before->second;
    out.key(counter).begin_object();
    out.field("delta", static_cast<std::int64_t>(delta));
    out.key("per_payment").raw(fixed(payments > 0 ? delta / static_cast<double>(payments) : 0, 2));
    out.end_object();
  }
  out.end_object();
  out.key("charges").begin_object();
  out.key("checked").value(charges.checked).key("ok").value(charges.ok);
  out.field("recorded", static_cast<std::int64_t>(charges.charges_total));
  out.field("payments_with_one_charge", static_cast<std::int64_t>(charges.with_one));
  out.field("payment_ids_charged_twice", static_cast<std::int64_t>(charges.duplicated));
  out.field("problem", charges.problem);
  out.end_object();
  out.field("stripe_rate_limited", sim_rate_limited(static_cast<std::uint16_t>(sim_port.value())));
  out.end_object();

  const auto text = out.str();
  if (out_path.empty()) {
    std::puts(text.c_str());
  } else {
    std::ofstream(out_path) << text << "\n";
  }
  std::fprintf(stderr, "payments-loadgen: %s: %llu accepted in %.1fs%s\n", name.c_str(),
               static_cast<unsigned long long>(load.accepted), load_s,
               track ? (", " + std::to_string(outcome.completed) + " completed").c_str() : "");
  if (!charges.ok) {
    std::fprintf(stderr, "payments-loadgen: %s: CHARGE CHECK FAILED: %s\n", name.c_str(), charges.problem.c_str());
    return 3;
  }
  return 0;
}

int drop_topics(const Arguments& args) {
  const auto prefix = args.text("--topic-prefix");
  if (prefix.empty()) {
    std::fprintf(stderr, "payments-loadgen: drop-topics needs --topic-prefix (it never drops unprefixed topics)\n");
    return 1;
  }
  const auto names = events::TopicNames::with_prefix(prefix);
  auto kafka = kafka_connection(args);
  if (!kafka) {
    std::fprintf(stderr, "payments-loadgen: %s\n", kafka.error().message.c_str());
    return 1;
  }
  auto dropped = events::delete_topics(kafka.value(), names.all(), 30s);
  if (!dropped) {
    std::fprintf(stderr, "payments-loadgen: %s\n", dropped.error().message.c_str());
    return 1;
  }
  return 0;
}

}  // namespace payments::loadgen
