// run_until_signal: a separate small event loop watches SIGINT/SIGTERM and asks the server to drain, and
// passes SIGHUP on when the caller wants it.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <functional>
#include <thread>

#include "payments/core/log.hpp"
#include "payments/http/server.hpp"

namespace payments::http {

void run_until_signal(Server& server, const std::function<void()>& on_hangup) {
  boost::asio::io_context signals_context(1);
  boost::asio::signal_set signals(signals_context, SIGINT, SIGTERM);
  if (on_hangup) signals.add(SIGHUP);
  std::function<void()> wait;
  wait = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
      if (ec) return;  // cancelled: the server stopped for another reason
      if (signal_number == SIGHUP) {
        on_hangup();
        wait();
        return;
      }
      log::info("signal received, draining", {{"signal", signal_number == SIGINT ? "SIGINT" : "SIGTERM"}});
      server.stop();
    });
  };
  wait();
  std::thread watcher([&signals_context] { signals_context.run(); });
  server.run();
  boost::asio::post(signals_context, [&signals] { signals.cancel(); });
  watcher.join();
}

}  // namespace payments::http
