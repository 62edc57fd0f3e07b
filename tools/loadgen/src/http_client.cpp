#include "http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <future>

namespace payments::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
// Large enough for the simulator's read-back of every charge of a run.
constexpr std::uint64_t kBodyLimit = 1024ULL * 1024 * 1024;
}  // namespace

struct HttpConnection::Impl {
  Impl(asio::any_io_executor executor, std::string h, std::uint16_t p, std::chrono::milliseconds t)
      : stream(executor), host(std::move(h)), port(p), timeout(t) {}

  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  std::string host;
  std::uint16_t port;
  std::chrono::milliseconds timeout;
  bool open = false;

  void close() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    buffer.clear();
    open = false;
  }
};

HttpConnection::HttpConnection(asio::any_io_executor executor, std::string host, std::uint16_t port,
                               std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(host), port, timeout)) {}

HttpConnection::~HttpConnection() = default;

asio::awaitable<HttpReply> HttpConnection::send(std::string method, std::string target, std::string body,
                                                HeaderList headers) {
  HttpReply reply;
  auto& s = *impl_;
  if (!s.open) {
    beast::error_code ec;
    const tcp::endpoint endpoint(asio::ip::make_address(s.host, ec), s.port);
    if (ec) {
      reply.error = "bad address " + s.host + ": " + ec.message();
      co_return reply;
    }
    s.stream.expires_after(s.timeout);
    auto [connect_ec] = co_await s.stream.async_connect(endpoint, kAwait);
    if (connect_ec) {
      reply.error = "connect: " + connect_ec.message();
      s.close();
      co_return reply;
    }
    s.stream.socket().set_option(tcp::no_delay(true));
    s.open = true;
  }

  bhttp::request<bhttp::string_body> request(bhttp::string_to_verb(method), target, 11);
  request.set(bhttp::field::host, s.host);
  request.keep_alive(true);
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty() || method == "POST") {
    request.set(bhttp::field::content_type, "application/json");
    request.body() = std::move(body);
    request.prepare_payload();
  }

  s.stream.expires_after(s.timeout);
  auto [write_ec, written] = co_await bhttp::async_write(s.stream, request, kAwait);
  (void)written;
  if (write_ec) {
    reply.error = "write: " + write_ec.message();
    s.close();
    co_return reply;
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kBodyLimit);
  auto [read_ec, read] = co_await bhttp::async_read(s.stream, s.buffer, parser, kAwait);
  (void)read;
  if (read_ec) {
    reply.error = "read: " + read_ec.message();
    s.close();
    co_return reply;
  }
  auto response = parser.release();
  reply.status = static_cast<int>(response.result_int());
  reply.body = std::move(response.body());
  if (!response.keep_alive()) s.close();
  co_return reply;
}

HttpReply fetch(const std::string& host, std::uint16_t port, const std::string& method, const std::string& target,
                std::chrono::milliseconds timeout) {
  asio::io_context io;
  HttpConnection connection(io.get_executor(), host, port, timeout);
  auto done = asio::co_spawn(io, connection.send(method, target, {}, {}), asio::use_future);
  io.run();
  return done.get();
}

}  // namespace payments::loadgen
