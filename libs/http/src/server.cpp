// The HTTP server: one coroutine accepts, one coroutine per connection reads a request, calls the
// handler, writes the answer, and loops while the connection is kept alive. Each connection runs on
// its own strand, so stop() can reach it from any thread safely.
#include "payments/http/server.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "payments/core/log.hpp"
#include "payments/http/async_handler.hpp"
#include "request_reading.hpp"
#include "tls_context.hpp"

namespace payments::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kLingerLimit = 1024 * 1024;  // bytes drained after an error answer before closing
constexpr std::chrono::seconds kLingerTimeout{1};
constexpr std::chrono::seconds kTlsShutdownTimeout{1};

using SslStream = beast::ssl_stream<beast::tcp_stream>;

// What stop() needs to know about one open connection. Touched only on the connection's strand.
struct Connection {
  asio::any_io_executor strand;
  std::function<void()> close;  // empty once the session has ended
  bool busy = false;            // a request is being read, handled or answered
};

std::string lower_case(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string describe(const tcp::endpoint& endpoint) {
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

bhttp::response<bhttp::string_body> to_message(Response&& response, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> message;
  message.version(version);
  message.result(static_cast<unsigned>(response.status));
  for (auto& header : response.headers) message.insert(header.name, header.value);
  if (!response.body.empty() || !response.content_type.empty()) {
    message.set(bhttp::field::content_type, response.content_type);
  }
  message.body() = std::move(response.body);
  message.keep_alive(keep_alive);
  message.prepare_payload();
  return message;
}

bool asks_to_close(const Response& response) {
  const auto connection = response.headers.empty() ? std::nullopt : find_header(response.headers, "connection");
  return connection && lower_case(*connection) == "close";
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  std::function<asio::awaitable<Response>(Request)> handler;

  std::mutex mutex;  // guards connections, stopping, running
  std::condition_variable run_finished;
  std::unordered_set<std::shared_ptr<Connection>> connections;
  bool stopping = false;
  bool running = false;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> destroying{false};
  std::atomic<std::size_t> active{0};
  std::atomic<std::uint16_t> bound_port{0};

  // HTTPS only: the context new connections get; replaced whole by reload_tls(). A session keeps its own copy
  // of the pointer, so a reload never pulls a context from under an open connection.
  std::mutex tls_mutex;
  std::shared_ptr<asio::ssl::context> tls;
  std::shared_ptr<asio::ssl::context> current_tls() {
    std::lock_guard lock(tls_mutex);
    return tls;
  }
  // Declared after everything the coroutines touch: destroying it destroys their frames first.
  asio::io_context ioc;
  asio::strand<asio::io_context::executor_type> drain_strand{ioc.get_executor()};
  std::optional<asio::steady_timer> drain_timer;  // on drain_strand
  std::optional<tcp::acceptor> acceptor;          // on its own strand

  Impl(ServerOptions o, std::function<asio::awaitable<Response>(Request)> h)
      : options(std::move(o)), handler(std::move(h)), ioc(std::max(1, options.threads)) {}

  Status start();
  void stop();
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> run_session(tcp::socket socket);
  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, Connection& connection, const std::string& remote);
  template <class Stream>
  asio::awaitable<bool> write(Stream& stream, Response response, unsigned version, bool keep_alive);

  bool register_connection(const std::shared_ptr<Connection>& connection) {
    std::lock_guard lock(mutex);
    if (stopping) return false;
    connections.insert(connection);
    return true;
  }
  void unregister_connection(const std::shared_ptr<Connection>& connection) {
    std::lock_guard lock(mutex);
    connections.erase(connection);
  }
  // Unregisters a session's connection when the session ends, however it ends.
  struct Registration {
    Impl& impl;
    std::shared_ptr<Connection> connection;
    ~Registration() {
      connection->close = nullptr;
      impl.unregister_connection(connection);
    }
  };
  // Called as each session ends: the last one out while draining ends the drain early.
  void session_finished() {
    if (active.fetch_sub(1) == 1 && stop_requested.load() && !destroying.load()) {
      asio::post(drain_strand, [this] {
        if (drain_timer) drain_timer->cancel();
      });
    }
  }
};

Status Server::Impl::start() {
  const std::string where = options.bind_address + ":" + std::to_string(options.port);
  if (options.tls) {
    auto context = make_tls_context(*options.tls);
    if (!context) return Error::unavailable("cannot listen on " + where + ": " + context.error().message);
    tls = std::move(context).value();
  }
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.bind_address, ec);
  if (ec) return Error::unavailable("cannot listen on " + where + ": invalid bind address");
  const tcp::endpoint endpoint(address, options.port);
  acceptor.emplace(asio::make_strand(ioc));
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor.reset();
    return Error::unavailable("cannot listen on " + where + ": " + ec.message());
  }
  bound_port = acceptor->local_endpoint().port();
  asio::co_spawn(acceptor->get_executor(), accept_loop(), asio::detached);
  return Ok{};
}

asio::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(asio::make_strand(ioc), kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      log::warn("http accept failed", {{"error", ec.message()}});
      asio::steady_timer backoff(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await backoff.async_wait(kUseTuple);  // e.g. out of file descriptors: let some close
      continue;
    }
    if (stop_requested.load()) co_return;
    if (active.load() >= options.max_connections) {
      log::warn("http connection refused: too many connections",
                {{"max_connections", std::to_string(options.max_connections)}});
      continue;  // the socket closes as it goes out of scope
    }
    active.fetch_add(1);
    auto strand = socket.get_executor();
    asio::co_spawn(strand, run_session(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> Server::Impl::run_session(tcp::socket socket) {
  struct Finished {
    Impl& impl;
    ~Finished() { impl.session_finished(); }
  } finished{*this};

  beast::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  const std::string remote = ec ? std::string("unknown") : describe(peer);
  auto connection = std::make_shared<Connection>();
  connection->strand = socket.get_executor();
  try {
    if (options.tls) {
      const auto context = current_tls();
      SslStream stream(beast::tcp_stream(std::move(socket)), *context);
      connection->close = [&stream] { beast::get_lowest_layer(stream).close(); };
      if (!register_connection(connection)) co_return;
      const Registration registration{*this, connection};
      beast::get_lowest_layer(stream).expires_after(options.read_timeout);
      auto [handshake_error] = co_await stream.async_handshake(asio::ssl::stream_base::server, kUseTuple);
      if (handshake_error) co_return;
      co_await serve(stream, *connection, remote);
      if (beast::get_lowest_layer(stream).socket().is_open()) {
        beast::get_lowest_layer(stream).expires_after(kTlsShutdownTimeout);
        co_await stream.async_shutdown(kUseTuple);
      }
    } else {
      beast::tcp_stream stream(std::move(socket));
      connection->close = [&stream] { stream.close(); };
      if (!register_connection(connection)) co_return;
      const Registration registration{*this, connection};
      co_await serve(stream, *connection, remote);
      if (stream.socket().is_open()) stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  } catch (const std::exception& e) {
    log::error("http session failed", {{"error", e.what()}, {"remote", remote}});
  }
}

template <class Stream>
asio::awaitable<bool> Server::Impl::write(Stream& stream, Response response, unsigned version, bool keep_alive) {
  auto message = to_message(std::move(response), version, keep_alive);
  beast::get_lowest_layer(stream).expires_after(options.write_timeout);
  auto [ec, written] = co_await bhttp::async_write(stream, message, kUseTuple);
  co_return !ec;
}

template <class Stream>
asio::awaitable<void> Server::Impl::serve(Stream& stream, Connection& connection, const std::string& remote) {
  auto& lowest = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  bool first = true;
  for (;;) {
    connection.busy = false;
    if (stop_requested.load()) co_return;
    if (buffer.size() == 0) {
      // Wait for the first byte of the next request: the connection counts as idle until then, so
      // stop() may close it. After a first request the keep-alive idle timeout applies.
      lowest.expires_after(first ? options.read_timeout : options.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kUseTuple);
      if (ec) co_return;  // closed by the peer, idle timeout, or stop()
      buffer.commit(n);
    }
    first = false;
    connection.busy = true;

    RequestParser parser;
    limit_request_parser(parser, options);
    lowest.expires_after(options.read_timeout);
    auto [read_error, n] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
    if (read_error) {
      std::optional<Response> refusal = refusal_for(read_error, options);
      if (!refusal) co_return;  // end of stream, timeout, reset or stop(): nothing to answer
      Response error = std::move(*refusal);
      log::debug("http request refused", {{"status", std::to_string(error.status)}, {"remote", remote}});
      const unsigned version = parser.is_header_done() ? parser.get().version() : 11;
      if (!co_await write(stream, std::move(error), version, false)) co_return;
      if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
        // Drain what the peer is still sending, so closing does not reset the connection before it
        // has read the answer.
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream.expires_after(kLingerTimeout);
        std::size_t drained = 0;
        while (drained < kLingerLimit) {
          auto [drain_error, got] = co_await stream.async_read_some(buffer.prepare(4096), kUseTuple);
          if (drain_error) break;
          drained += got;
        }
      }
      co_return;
    }

    auto message = parser.release();
    const unsigned version = message.version();
    const bool wants_keep_alive = message.keep_alive();
    Response response;
    try {
      response = co_await handler(to_request(std::move(message), remote));
    } catch (const std::exception& e) {
      log::error("http handler failed", {{"error", e.what()}, {"remote", remote}});
      response = Response::json_error(500, "internal_error", "internal server error");
    }
    if (response.hold_connection) {
      // Fault injection: answer nothing, wait for the peer to give up (or stop()).
      connection.busy = false;
      if (stop_requested.load()) co_return;
      lowest.expires_never();
      for (;;) {
        auto [hold_error, ignored] = co_await stream.async_read_some(buffer.prepare(4096), kUseTuple);
        if (hold_error) co_return;
        buffer.consume(buffer.size());
      }
    }
    const bool keep_alive = wants_keep_alive && !stop_requested.load() && !asks_to_close(response);
    if (!co_await write(stream, std::move(response), version, keep_alive)) co_return;
    if (!keep_alive) co_return;
  }
}

void Server::Impl::stop() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(mutex);
    if (stopping) return;
    stopping = true;
    stop_requested = true;
    open.assign(connections.begin(), connections.end());
  }
  if (acceptor) {
    asio::post(acceptor->get_executor(), [this] {
      beast::error_code ignored;
      acceptor->close(ignored);
    });
  }
  for (auto& connection : open) {
    asio::post(connection->strand, [connection] {
      if (!connection->busy && connection->close) connection->close();
    });
  }
  asio::post(drain_strand, [this] {
    if (active.load() == 0) return;
    drain_timer.emplace(drain_strand, options.drain_timeout);
    drain_timer->async_wait([this](const beast::error_code& ec) {
      if (ec) return;  // every connection finished in time
      log::warn("http drain deadline passed, closing remaining connections",
                {{"connections", std::to_string(active.load())}});
      ioc.stop();
    });
  });
}

Server::Server(ServerOptions options, Handler handler) {
  auto async = [h = std::move(handler)](Request request) -> asio::awaitable<Response> { co_return h(request); };
  impl_ = std::make_unique<Impl>(std::move(options), std::move(async));
}

Server::Server(ServerOptions options, AsyncHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler.handle))) {}

Server::~Server() {
  impl_->stop();
  std::unique_lock lock(impl_->mutex);
  impl_->run_finished.wait(lock, [this] { return !impl_->running; });
  lock.unlock();
  impl_->destroying = true;
}

Status Server::start() { return impl_->start(); }

Status Server::reload_tls() {
  if (!impl_->options.tls) {
    return Error::internal("this listener serves plain HTTP: there is no certificate to reload");
  }
  auto context = make_tls_context(*impl_->options.tls);
  if (!context) return std::move(context).error();
  std::lock_guard lock(impl_->tls_mutex);
  impl_->tls = std::move(context).value();
  return Ok{};
}

std::uint16_t Server::port() const noexcept { return impl_->bound_port.load(); }

void Server::run() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->running = true;
  }
  std::vector<std::thread> helpers;
  for (int i = 1; i < impl_->options.threads; ++i) helpers.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& helper : helpers) helper.join();
  {
    std::lock_guard lock(impl_->mutex);
    impl_->running = false;
  }
  impl_->run_finished.notify_all();
}

void Server::stop() { impl_->stop(); }

}  // namespace payments::http
