#include "tls_context.hpp"

#include <openssl/ssl.h>

namespace payments::http {
namespace {

namespace asio = boost::asio;

// TLS 1.2 suites: ECDHE key exchange and AEAD ciphers only (Mozilla's "intermediate" profile). TLS 1.3's
// suites are OpenSSL's defaults, all of them AEAD with forward secrecy.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const TlsOptions& files) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression |
                       asio::ssl::context::single_dh_use | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return Error::internal("cannot configure TLS: the OpenSSL library refused TLS 1.2 or its cipher suites");
  }
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);

  boost::system::error_code ec;
  context->use_certificate_chain_file(files.certificate_chain_file, ec);
  if (ec) {
    return Error::unavailable("cannot load TLS certificate chain " + files.certificate_chain_file + ": " +
                              ec.message());
  }
  context->use_private_key_file(files.private_key_file, asio::ssl::context::pem, ec);
  if (ec) return Error::unavailable("cannot load TLS private key " + files.private_key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(native) != 1) {
    return Error::unavailable("TLS private key " + files.private_key_file + " does not belong to certificate " +
                              files.certificate_chain_file);
  }
  return context;
}

}  // namespace payments::http
