#pragma once
// The HTTPS listener's TLS context: TLS 1.2 at least, forward-secret AEAD cipher suites only, and the
// certificate chain and key read from PEM files. Built whole or not at all, so a failed reload changes nothing.

#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "payments/core/result.hpp"
#include "payments/http/server.hpp"

namespace payments::http {

// Errors name the file and the reason in one line ("cannot load TLS certificate chain /x.pem: no start line").
Result<std::shared_ptr<boost::asio::ssl::context>> make_tls_context(const TlsOptions& files);

}  // namespace payments::http
