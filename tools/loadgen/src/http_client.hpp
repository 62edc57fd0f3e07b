#pragma once
// A small asynchronous HTTP/1.1 client over one keep-alive connection, for the load generator. Beast stays in
// http_client.cpp; callers see plain values and an Asio awaitable.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace payments::loadgen {

struct HttpReply {
  int status = 0;     // 0: no answer (see error)
  std::string body;
  std::string error;  // the transport error, when status is 0
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class HttpConnection {
 public:
  HttpConnection(boost::asio::any_io_executor executor, std::string host, std::uint16_t port,
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends one request on the open connection (connecting first when there is none) and reads the answer.
  // A transport error closes the connection; the next call reconnects.
  boost::asio::awaitable<HttpReply> send(std::string method, std::string target, std::string body,
                                         HeaderList headers);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection, blocking (control endpoints: /_sim/charges, /metrics).
HttpReply fetch(const std::string& host, std::uint16_t port, const std::string& method, const std::string& target,
                std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace payments::loadgen
