// Starts the real server on an ephemeral loopback port and talks to it over plain sockets.
#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "payments/http/async_handler.hpp"
#include "payments/http/server.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using payments::http::AsyncHandler;
using payments::http::Request;
using payments::http::Response;
using payments::http::Server;
using payments::http::ServerOptions;

namespace {

// A started server running on a background thread; stopped and joined on scope exit.
class RunningServer {
 public:
  template <class H>
  RunningServer(ServerOptions options, H handler) : server_(std::move(options), std::move(handler)) {
    auto started = server_.start();
    REQUIRE_MESSAGE(started.has_value(), (started ? "" : started.error().message));
    thread_ = std::thread([this] { server_.run(); });
  }
  ~RunningServer() { stop(); }
  void stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  Server& server() { return server_; }
  std::uint16_t port() { return server_.port(); }

 private:
  Server server_;
  std::thread thread_;
};

struct Client {
  asio::io_context ioc;
  tcp::socket socket{ioc};
  beast::flat_buffer buffer;

  explicit Client(std::uint16_t port) { socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port)); }

  bhttp::response<bhttp::string_body> request(bhttp::verb verb, std::string target, std::string body = {},
                                              bool keep_alive = true) {
    bhttp::request<bhttp::string_body> req{verb, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.keep_alive(keep_alive);
    req.body() = std::move(body);
    req.prepare_payload();
    bhttp::write(socket, req);
    return read();
  }
  bhttp::response<bhttp::string_body> read() {
    bhttp::response<bhttp::string_body> res;
    bhttp::read(socket, buffer, res);
    return res;
  }
  void send_raw(std::string_view bytes) { asio::write(socket, asio::buffer(bytes.data(), bytes.size())); }
  // True when the server has closed the connection (EOF or reset) with nothing more to read.
  bool closed_by_server() {
    char byte = 0;
    beast::error_code ec;
    socket.read_some(asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
};

Response echo(const Request& request) {
  Response response;
  response.body = R"({"method":")" + request.method + R"(","target":")" + request.target + R"("})";
  response.headers.push_back({"x-remote", request.remote_address});
  return response;
}

}  // namespace

TEST_CASE("a GET is answered with the handler's status, headers and JSON body") {
  RunningServer running({}, echo);
  REQUIRE(running.port() != 0);
  Client client(running.port());
  auto res = client.request(bhttp::verb::get, "/v1/things?x=1");
  CHECK(res.result_int() == 200);
  CHECK(res[bhttp::field::content_type] == "application/json");
  CHECK(res.body() == R"({"method":"GET","target":"/v1/things?x=1"})");
  CHECK(std::string(res["x-remote"]).rfind("127.0.0.1:", 0) == 0);
}

TEST_CASE("request headers reach the handler with lower-case names and case-insensitive lookup") {
  RunningServer running({}, [](const Request& request) {
    Response response;
    response.body = std::string(request.header("X-Custom-Header").value_or("missing")) + "|" +
                    std::string(request.path()) + "|" + std::string(request.query());
    response.content_type = "text/plain";
    return response;
  });
  Client client(running.port());
  client.send_raw("GET /a/b?c=d HTTP/1.1\r\nHost: x\r\nX-CUSTOM-HEADER: yes\r\n\r\n");
  auto res = client.read();
  CHECK(res.body() == "yes|/a/b|c=d");
  CHECK(res[bhttp::field::content_type] == "text/plain");
}

TEST_CASE("keep-alive serves two requests on one connection") {
  RunningServer running({}, echo);
  Client client(running.port());
  auto first = client.request(bhttp::verb::get, "/one");
  auto second = client.request(bhttp::verb::post, "/two", "{}");
  CHECK(first.result_int() == 200);
  CHECK(second.result_int() == 200);
  CHECK(second.body() == R"({"method":"POST","target":"/two"})");
  CHECK(first["x-remote"] == second["x-remote"]);  // same client port: same connection
  CHECK(first.keep_alive());
}

TEST_CASE("Connection: close is honoured") {
  RunningServer running({}, echo);
  Client client(running.port());
  auto res = client.request(bhttp::verb::get, "/", {}, false);
  CHECK(res.result_int() == 200);
  CHECK_FALSE(res.keep_alive());
  CHECK(client.closed_by_server());
}

TEST_CASE("a body over the limit gets 413 with a JSON error") {
  ServerOptions options;
  options.body_limit = 1024;
  std::atomic<int> calls{0};
  RunningServer running(options, [&](const Request& r) {
    ++calls;
    return echo(r);
  });
  Client client(running.port());
  auto res = client.request(bhttp::verb::post, "/upload", std::string(70 * 1024, 'x'));
  CHECK(res.result_int() == 413);
  CHECK(res.body().find(R"("code":"payload_too_large")") != std::string::npos);
  CHECK_FALSE(res.keep_alive());
  CHECK(calls == 0);
  // a body exactly at the limit is fine
  Client other(running.port());
  CHECK(other.request(bhttp::verb::post, "/upload", std::string(1024, 'x')).result_int() == 200);
}

TEST_CASE("oversized headers get 431 and malformed requests get 400") {
  ServerOptions options;
  options.header_limit = 1024;
  RunningServer running(options, echo);
  {
    Client client(running.port());
    client.send_raw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
    auto res = client.read();
    CHECK(res.result_int() == 431);
    CHECK(res.body().find("headers_too_large") != std::string::npos);
  }
  {
    Client client(running.port());
    client.send_raw("THIS IS NOT HTTP\r\n\r\n");
    auto res = client.read();
    CHECK(res.result_int() == 400);
    CHECK(res.body().find("bad_request") != std::string::npos);
  }
}

TEST_CASE("an idle keep-alive connection is closed after the idle timeout") {
  ServerOptions options;
  options.idle_timeout = 100ms;
  RunningServer running(options, echo);
  Client client(running.port());
  CHECK(client.request(bhttp::verb::get, "/").result_int() == 200);
  const auto started = std::chrono::steady_clock::now();
  CHECK(client.closed_by_server());
  CHECK(std::chrono::steady_clock::now() - started < 2s);
}

TEST_CASE("a request that stalls mid-way is dropped at the read deadline") {
  ServerOptions options;
  options.read_timeout = 100ms;
  RunningServer running(options, echo);
  Client client(running.port());
  client.send_raw("GET / HTTP/1.1\r\nHost:");
  CHECK(client.closed_by_server());
}

TEST_CASE("stop() lets an in-flight slow request finish and answer before run() returns") {
  std::promise<void> entered;
  auto entered_future = entered.get_future();
  AsyncHandler slow{[&entered](Request) -> asio::awaitable<Response> {
    entered.set_value();
    asio::steady_timer timer(co_await asio::this_coro::executor, 200ms);
    co_await timer.async_wait(asio::use_awaitable);
    Response response;
    response.body = R"({"slow":true})";
    co_return response;
  }};
  ServerOptions options;
  options.threads = 2;
  Server server(options, std::move(slow));
  REQUIRE(server.start().has_value());
  const auto port = server.port();
  std::thread runner([&] { server.run(); });

  Client idle(port);  // connected, never sends: must not hold up the drain
  auto answer = std::async(std::launch::async, [port] {
    Client client(port);
    return client.request(bhttp::verb::get, "/slow");
  });
  REQUIRE(entered_future.wait_for(5s) == std::future_status::ready);
  const auto stop_at = std::chrono::steady_clock::now();
  server.stop();
  runner.join();
  const auto drained_after = std::chrono::steady_clock::now() - stop_at;

  auto res = answer.get();
  CHECK(res.result_int() == 200);
  CHECK(res.body() == R"({"slow":true})");
  CHECK_FALSE(res.keep_alive());
  CHECK(drained_after >= 100ms);
  CHECK(drained_after < 5s);
  CHECK(idle.closed_by_server());
  // no longer accepting
  asio::io_context ioc;
  tcp::socket late(ioc);
  beast::error_code ec;
  late.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  CHECK(ec);
}

TEST_CASE("stop() closes connections still busy at the drain deadline") {
  AsyncHandler stuck{[](Request) -> asio::awaitable<Response> {
    asio::steady_timer timer(co_await asio::this_coro::executor, 60s);
    co_await timer.async_wait(asio::use_awaitable);
    co_return Response{};
  }};
  ServerOptions options;
  options.drain_timeout = 100ms;
  Server server(options, std::move(stuck));
  REQUIRE(server.start().has_value());
  std::thread runner([&] { server.run(); });
  Client client(server.port());
  client.send_raw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(50ms);
  const auto stop_at = std::chrono::steady_clock::now();
  server.stop();
  runner.join();
  CHECK(std::chrono::steady_clock::now() - stop_at < 5s);
}

TEST_CASE("a handler that throws answers 500") {
  RunningServer running({}, [](const Request&) -> Response { throw std::runtime_error("boom"); });
  Client client(running.port());
  auto res = client.request(bhttp::verb::get, "/");
  CHECK(res.result_int() == 500);
  CHECK(res.body().find("boom") == std::string::npos);  // internals are not leaked
}

TEST_CASE("start() names the address when it cannot listen") {
  RunningServer first({}, echo);
  ServerOptions options;
  options.port = first.port();
  Server second(options, echo);
  auto started = second.start();
  REQUIRE_FALSE(started.has_value());
  CHECK(started.error().message.rfind("cannot listen on 127.0.0.1:" + std::to_string(first.port()) + ": ", 0) == 0);

  ServerOptions tls;
  tls.tls = payments::http::TlsOptions{"/nonexistent/cert.pem", "/nonexistent/key.pem"};
  Server third(tls, echo);
  auto tls_started = third.start();
  REQUIRE_FALSE(tls_started.has_value());
  CHECK(tls_started.error().message.find("/nonexistent/cert.pem") != std::string::npos);
}
