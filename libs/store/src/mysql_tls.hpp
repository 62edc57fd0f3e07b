#pragma once
// MYSQL_SSL_MODE on the real connection.
//
// SOCI 4.0.3's MySQL backend opens its connection inside its own constructor and passes on only a CA, a
// certificate and a key (mysql_ssl_set). MariaDB Connector/C then checks the chain but never the host name,
// and when the server offers no TLS it quietly goes on in clear. So mysql_tls.cpp defines mysql_real_connect
// in every binary that links the store: the dynamic linker binds SOCI's call to it ahead of the client
// library's. It sets the mode's options on the MYSQL handle, calls the client library's own
// mysql_real_connect, and turns away a connection that the mode wants encrypted but that is not.

#include <string>

#include "payments/core/config.hpp"

namespace payments::store {

// While alive, every MySQL connection this thread opens follows `settings`' MYSQL_SSL_* policy. A connection
// opened outside any scope is left to the client library's defaults (no TLS).
struct TlsConnectScope {
  explicit TlsConnectScope(const MysqlSettings& settings);
  ~TlsConnectScope();
  TlsConnectScope(const TlsConnectScope&) = delete;
  TlsConnectScope& operator=(const TlsConnectScope&) = delete;

  const MysqlSettings& settings;
  // Why the policy (not the server) refused the last connection in this scope; "" when it did not. The
  // client library has no error text then, so this is the reason to report.
  std::string refusal;

 private:
  TlsConnectScope* outer_;
};

}  // namespace payments::store
