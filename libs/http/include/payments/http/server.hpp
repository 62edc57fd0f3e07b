#pragma once
// An HTTP/1.1 server: keep-alive, body and header limits, read/write/idle deadlines, a connection cap,
// optional TLS, and a graceful drain on stop(). Handlers see plain Request/Response values.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "payments/core/result.hpp"
#include "payments/http/message.hpp"

namespace payments::http {

// Runs on one of the server's threads; keep it quick (no blocking I/O). For handlers that wait on
// timers or other asynchronous work, see payments/http/async_handler.hpp.
using Handler = std::function<Response(const Request&)>;
struct AsyncHandler;  // payments/http/async_handler.hpp

struct TlsOptions {
  std::string certificate_chain_file;  // PEM, leaf first
  std::string private_key_file;        // PEM
};

struct ServerOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: the kernel picks one; read it with Server::port() after start()
  int threads = 1;         // threads running the event loop inside run()
  std::size_t body_limit = 64 * 1024;   // larger bodies get 413
  std::size_t header_limit = 8 * 1024;  // larger header blocks get 431
  std::chrono::milliseconds read_timeout{10'000};   // to receive one whole request once it started
  std::chrono::milliseconds write_timeout{10'000};  // to send one response
  std::chrono::milliseconds idle_timeout{30'000};   // keep-alive wait for the next request
  std::chrono::milliseconds drain_timeout{10'000};  // stop(): how long in-flight requests may finish
  std::size_t max_connections = 4096;               // further connections are closed at once
  std::optional<TlsOptions> tls;                    // set: serve HTTPS only (TLS 1.2 and 1.3)
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  Server(ServerOptions options, AsyncHandler handler);
  ~Server();  // stops, waits for run() to return
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the TLS files, binds and listens. Errors read "cannot listen on 127.0.0.1:8080: <reason>".
  Status start();
  // HTTPS: reads the certificate chain and key files again; connections accepted from now on get them, open
  // ones keep theirs. On error (unreadable, not PEM, a key of another certificate) the files in use stay and
  // the error says why. Thread-safe.
  Status reload_tls();
  // The bound port; meaningful after a successful start().
  [[nodiscard]] std::uint16_t port() const noexcept;
  // Serves on `threads` threads (the caller's is one of them) until stop() has drained. Call once,
  // after start().
  void run();
  // Thread-safe and idempotent: stops accepting, closes idle connections, lets requests in flight
  // finish and answer (with `Connection: close`) for up to drain_timeout, then closes the rest.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs `server` (already started) until SIGINT or SIGTERM, then stops it gracefully and returns. With
// `on_hangup`, SIGHUP calls it (on a thread of its own, not the server's) and serving goes on.
void run_until_signal(Server& server, const std::function<void()>& on_hangup = {});

}  // namespace payments::http
