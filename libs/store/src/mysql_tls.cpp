#include "mysql_tls.hpp"

#include <dlfcn.h>
#include <mysql.h>

#include <cstdlib>
#include <cstring>

namespace payments::store {
namespace {

thread_local TlsConnectScope* current_scope = nullptr;

using ConnectFn = MYSQL* (*)(MYSQL*, const char*, const char*, const char*, const char*, unsigned int, const char*,
                             unsigned long);

// The client library's mysql_real_connect: the next definition after this binary's own.
ConnectFn client_library_connect() {
  static const ConnectFn fn = [] {
    void* symbol = dlsym(RTLD_NEXT, "mysql_real_connect");
    if (symbol == nullptr) {
      // Cannot happen while the binary links libmariadb; going on would drop every connection's TLS policy.
      std::fputs("fatal: mysql_real_connect of the MySQL client library not found\n", stderr);
      std::abort();
    }
    ConnectFn typed = nullptr;
    std::memcpy(&typed, &symbol, sizeof typed);
    return typed;
  }();
  return fn;
}

bool set_flag(MYSQL* handle, mysql_option option, bool on) {
  my_bool value = on ? 1 : 0;
  return mysql_optionsv(handle, option, &value) == 0;
}

bool set_file(MYSQL* handle, mysql_option option, const std::string& path) {
  return path.empty() || mysql_optionsv(handle, option, path.c_str()) == 0;
}

// The Connector/C options of each mode (behaviour of libmariadb 3.3, proven by tests/integration/mysql_tls_test):
//   MYSQL_OPT_SSL_ENFORCE               ask for TLS; the library goes on in clear when the server has none
//   MYSQL_OPT_SSL_CA                    the chain must lead to this CA, or the handshake fails
//   MYSQL_OPT_SSL_VERIFY_SERVER_CERT    the certificate must also name the host; a server without TLS is
//                                       refused before the login
bool apply(MYSQL* handle, const MysqlSettings& s) {
  if (s.ssl_mode == MysqlSslMode::disabled) {
    return set_flag(handle, MYSQL_OPT_SSL_ENFORCE, false) &&
           set_flag(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, false);
  }
  const bool verify_chain = s.ssl_mode == MysqlSslMode::verify_ca || s.ssl_mode == MysqlSslMode::verify_identity;
  return set_flag(handle, MYSQL_OPT_SSL_ENFORCE, true) && set_file(handle, MYSQL_OPT_SSL_CERT, s.ssl_cert) &&
         set_file(handle, MYSQL_OPT_SSL_KEY, s.ssl_key) &&
         (!verify_chain || set_file(handle, MYSQL_OPT_SSL_CA, s.ssl_ca)) &&
         set_flag(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, s.ssl_mode == MysqlSslMode::verify_identity);
}

bool requires_tls(MysqlSslMode mode) { return mode != MysqlSslMode::disabled && mode != MysqlSslMode::preferred; }

}  // namespace

TlsConnectScope::TlsConnectScope(const MysqlSettings& s) : settings(s), outer_(current_scope) {
  current_scope = this;
}

TlsConnectScope::~TlsConnectScope() { current_scope = outer_; }

}  // namespace payments::store

// Interposes on the client library's mysql_real_connect (see mysql_tls.hpp). Exported from the executable
// because libsoci_mysql, which the executable links, refers to it.
extern "C" __attribute__((visibility("default"))) MYSQL* STDCALL
mysql_real_connect(MYSQL* mysql, const char* host, const char* user, const char* passwd, const char* db,
                   unsigned int port, const char* unix_socket, unsigned long client_flag) {
  using namespace payments::store;
  const ConnectFn connect = client_library_connect();
  TlsConnectScope* scope = current_scope;
  if (scope == nullptr) return connect(mysql, host, user, passwd, db, port, unix_socket, client_flag);
  scope->refusal.clear();
  const auto mode = std::string(payments::to_string(scope->settings.ssl_mode));
  if (!apply(mysql, scope->settings)) {
    scope->refusal = "the MySQL client library refused the options of MYSQL_SSL_MODE=" + mode;
    return nullptr;
  }
  MYSQL* connected = connect(mysql, host, user, passwd, db, port, unix_socket, client_flag);
  if (connected != nullptr && requires_tls(scope->settings.ssl_mode) && mysql_get_ssl_cipher(mysql) == nullptr) {
    // Connector/C fell back to plain text (the server offers no TLS). Nothing has been sent but the login;
    // SOCI closes the handle when this returns nullptr.
    scope->refusal = "the server offers no TLS, and MYSQL_SSL_MODE=" + mode + " refuses an unencrypted connection";
    return nullptr;
  }
  return connected;
}
