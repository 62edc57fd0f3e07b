// Load through the API: N coroutines, each owning one keep-alive connection.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <mutex>
#include <thread>

#include "http_client.hpp"
#include "load.hpp"

namespace payments::loadgen {

namespace asio = boost::asio;

namespace {

// The payment id out of a 202 body, without a JSON parser on the hot path.
std::string payment_id_of(const std::string& body) {
  static const std::string kField = "\"payment_id\":\"";
  const auto at = body.find(kField);
  if (at == std::string::npos) return {};
  const auto start = at + kField.size();
  const auto end = body.find('"', start);
  return end == std::string::npos ? std::string{} : body.substr(start, end - start);
}

struct ConnectionLoad {
  const HttpLoadOptions& options;
  PaymentLedger& ledger;
  int index;
  Clock::time_point start;
  Clock::time_point deadline;
  LoadResult result;

  asio::awaitable<void> run() {
    HttpConnection connection(co_await asio::this_coro::executor, options.host, options.port);
    asio::steady_timer timer(co_await asio::this_coro::executor);
    const bool open_loop = options.rate > 0;
    // Open loop: connection i sends request k at start + (k * connections + i) / rate.
    const double interval_s = open_loop ? static_cast<double>(options.connections) / options.rate : 0;
    for (std::uint64_t k = 0; options.max_requests == 0 || k < options.max_requests; ++k) {
      auto sent_at = Clock::now();
      if (open_loop) {
        const auto offset = std::chrono::duration<double>(interval_s * static_cast<double>(k) +
                                                          static_cast<double>(index) / options.rate);
        sent_at = start + std::chrono::duration_cast<Clock::duration>(offset);
        if (sent_at >= deadline) break;
        if (sent_at > Clock::now()) {
          timer.expires_at(sent_at);
          co_await timer.async_wait(asio::use_awaitable);
        }
      } else if (sent_at >= deadline) {
        break;
      }
      const std::string order_id = options.id_prefix + "c" + std::to_string(index) + "n" + std::to_string(k);
      std::string method = "POST";
      std::string target = "/api/v1/payments";
      std::string body = payment_body(order_id);
      HeaderList headers;
      if (!options.authorization.empty()) headers.emplace_back("Authorization", options.authorization);
      if (options.idempotency_keys) headers.emplace_back("Idempotency-Key", order_id);
      ++result.offered;
      const HttpReply reply = co_await connection.send(std::move(method), std::move(target), std::move(body),
                                                       std::move(headers));
      const auto answered = Clock::now();
      if (reply.status == 0) {
        ++result.transport_errors;
        if (result.first_error.empty()) result.first_error = reply.error;
        continue;
      }
      ++result.statuses[reply.status];
      result.latency.add_micros(std::chrono::duration_cast<std::chrono::microseconds>(answered - sent_at).count());
      if (reply.status != 202) {
        if (result.first_error.empty()) result.first_error = std::to_string(reply.status) + " " + reply.body;
        continue;
      }
      ++result.accepted;
      const auto second = static_cast<std::size_t>(std::chrono::duration_cast<std::chrono::seconds>(answered - start).count());
      if (result.accepted_per_second.size() <= second) result.accepted_per_second.resize(second + 1, 0);
      ++result.accepted_per_second[second];
      ledger.submitted(payment_id_of(reply.body), sent_at);
    }
  }
};

}  // namespace

LoadResult run_http_load(const HttpLoadOptions& options, PaymentLedger& ledger) {
  asio::io_context io(options.threads);
  const auto start = Clock::now();
  const auto deadline = start + options.duration;
  std::vector<std::unique_ptr<ConnectionLoad>> loads;
  for (int i = 0; i < options.connections; ++i) {
    loads.push_back(std::make_unique<ConnectionLoad>(ConnectionLoad{options, ledger, i, start, deadline, {}}));
    asio::co_spawn(io, loads.back()->run(), asio::detached);
  }
  std::vector<std::thread> threads;
  for (int t = 1; t < options.threads; ++t) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();

  LoadResult total;
  total.started = start;
  total.finished = Clock::now();
  for (const auto& load : loads) {
    const auto& r = load->result;
    total.offered += r.offered;
    total.accepted += r.accepted;
    total.transport_errors += r.transport_errors;
    for (const auto& [status, n] : r.statuses) total.statuses[status] += n;
    if (total.first_error.empty()) total.first_error = r.first_error;
    total.latency.merge(r.latency);
    if (total.accepted_per_second.size() < r.accepted_per_second.size()) {
      total.accepted_per_second.resize(r.accepted_per_second.size(), 0);
    }
    for (std::size_t s = 0; s < r.accepted_per_second.size(); ++s) total.accepted_per_second[s] += r.accepted_per_second[s];
  }
  return total;
}

}  // namespace payments::loadgen
