// Bytes off a socket through the HTTP server's own reading path (libs/http/src/request_reading.hpp): Beast's
// request parser with the listener's header and body limits, the parsed message turned into the handlers'
// Request, and the answer a refused read gets. Requests are read one after another while the connection is
// kept alive, as the server does.
//
// Input: byte 0 picks the limits (odd: the server's defaults, 8 KiB of headers and 64 KiB of body; even: 512
// and 256 bytes, so that small inputs cross them); byte 1 + 1 is how many bytes each read hands over (TCP
// segments arrive in pieces); the rest is what the peer sent.
//
// Invariants: an accepted request is within the body limit and under twice the header limit (see below), with
// lower-case header names and a target whose path and query give it back; a read is refused as too large (413,
// 431) only when the peer sent the limit or more (or, for a body, declared more in Content-Length or a chunk
// size); every other refusal of bad bytes is a 400, and only end of input goes unanswered.
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "invariants.hpp"
#include "request_reading.hpp"

namespace {

using namespace payments;
using fuzz::require;
namespace bhttp = boost::beast::http;

// A SyncReadStream over the input, handing it out `chunk` bytes at a time, then end of stream.
class PeerBytes {
 public:
  PeerBytes(std::string_view bytes, std::size_t chunk) : bytes_(bytes), chunk_(chunk) {}

  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::beast::error_code& ec) {
    if (bytes_.empty()) {
      ec = boost::asio::error::eof;
      return 0;
    }
    ec = {};
    const std::size_t n =
        boost::asio::buffer_copy(buffers, boost::asio::buffer(bytes_.data(), std::min(chunk_, bytes_.size())));
    bytes_.remove_prefix(n);
    return n;
  }
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    boost::beast::error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::string_view bytes_;
  std::size_t chunk_;
};

std::string lower_case(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

// True when some Content-Length header in `sent` declares more than `limit` bytes.
bool declares_length_over(std::string_view sent, std::size_t limit) {
  const std::string lower = lower_case(sent);
  for (auto at = lower.find("content-length:"); at != std::string::npos; at = lower.find("content-length:", at + 1)) {
    auto digits = lower.find_first_not_of(" \t", at + 15);
    std::uint64_t declared = 0;
    for (; digits < lower.size() && lower[digits] >= '0' && lower[digits] <= '9'; ++digits) {
      if (declared > limit) break;
      declared = declared * 10 + static_cast<std::uint64_t>(lower[digits] - '0');
    }
    if (declared > limit) return true;
  }
  return false;
}

void require_accepted_request(const http::Request& request, const http::ServerOptions& options) {
  require(!request.method.empty() && !request.target.empty(), "a request without method or target");
  require(request.body.size() <= options.body_limit, "a body over the limit was accepted");
  std::size_t header_bytes = request.method.size() + request.target.size();
  for (const auto& [name, value] : request.headers) {
    require(!name.empty(), "an empty header name was accepted");
    require(std::none_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; }),
            "a header name is not lower case", name);
    header_bytes += name.size() + value.size();
  }
  // Beast applies header_limit to the bytes it holds unparsed at each step, not to the whole block: a header
  // that arrives in pieces can pass the limit by a little (found by this target). The bound that holds, and
  // keeps a connection's memory bounded, is twice the limit.
  require(header_bytes <= 2 * options.header_limit, "headers far over the limit were accepted",
          std::to_string(header_bytes) + " bytes of names and values; the limit is " +
              std::to_string(options.header_limit));
  const std::string_view path = request.path();
  const std::string_view query = request.query();
  require(request.target == (query.empty() && request.target.find('?') == std::string::npos
                                 ? std::string(path)
                                 : std::string(path) + "?" + std::string(query)),
          "path and query do not give the target back", request.target);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  http::ServerOptions options;
  if (data[0] % 2 == 0) {
    options.header_limit = 512;
    options.body_limit = 256;
  }
  const std::size_t chunk = std::size_t{data[1]} + 1;
  const std::string_view sent = fuzz::as_text(data + 2, size - 2);

  PeerBytes peer(sent, chunk);
  boost::beast::flat_buffer buffer;
  for (;;) {
    http::RequestParser parser;
    http::limit_request_parser(parser, options);
    boost::beast::error_code ec;
    bhttp::read(peer, buffer, parser, ec);
    if (ec) {
      const auto refusal = http::refusal_for(ec, options);
      if (!refusal) {
        require(ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
                    ec == boost::asio::error::eof,
                "a read error other than end of input goes unanswered", ec.message());
        return 0;
      }
      require(refusal->status == 400 || refusal->status == 413 || refusal->status == 431,
              "a bad request is answered with neither 400, 413 nor 431", refusal->body);
      // Beast refuses a declared size over the limit (Content-Length, or a chunk's size) as soon as it reads it,
      // rightly, before the bytes arrive.
      const bool declared_over = declares_length_over(sent, options.body_limit) ||
                                 lower_case(sent).find("chunked") != std::string::npos;
      require(refusal->status != 413 || sent.size() > options.body_limit || declared_over,
              "413 for a body within the limit");
      // Beast refuses an unfinished header once it holds header_limit bytes of it.
      require(refusal->status != 431 || sent.size() >= options.header_limit, "431 for headers within the limit");
      return 0;
    }
    const bool keep_alive = parser.get().keep_alive();
    require_accepted_request(http::to_request(parser.release(), "127.0.0.1:1"), options);
    if (!keep_alive) return 0;
  }
}
