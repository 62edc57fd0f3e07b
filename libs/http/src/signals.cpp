// run_until_signal: a separate small event loop watches SIGINT/SIGTERM and asks the server to drain.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <thread>

#include "payments/core/log.hpp"
#include "payments/http/server.hpp"

namespace payments::http {

void run_until_signal(Server& server) {
  boost::asio::io_context signals_context(1);
  boost::asio::signal_set signals(signals_context, SIGINT, SIGTERM);
  signals.async_wait([&server](const boost::system::error_code& ec, int signal_number) {
    if (ec) return;  // cancelled: the server stopped for another reason
    log::info("signal received, draining", {{"signal", signal_number == SIGINT ? "SIGINT" : "SIGTERM"}});
    server.stop();
  });
  std::thread watcher([&signals_context] { signals_context.run(); });
  server.run();
  boost::asio::post(signals_context, [&signals] { signals.cancel(); });
  watcher.join();
}

}  // namespace payments::http
