#pragma once
// Commands for payment-commands as an order service writes them, built as raw text so a test can also write
// what no well-behaved producer would (an overflowing amount, bytes that are not UTF-8).

#include <string>

namespace payments::testing {

// A command envelope of `type` with `data` (a JSON object, as text) as it is.
inline std::string command_json(const std::string& command_id, const std::string& type, const std::string& payment_id,
                                const std::string& data) {
  return R"({"command_id":")" + command_id + R"(","type":")" + type + R"(","payment_id":")" + payment_id +
         R"(","issued_at":"2026-12-02T10:00:00Z","data":)" + data + "}";
}

inline std::string create_command(const std::string& command_id, const std::string& payment_id,
                                  const std::string& data) {
  return command_json(command_id, "payment.create", payment_id, data);
}

// payment.create's data: `amount` is written as given (any JSON number), `extra` is appended to the object.
inline std::string payment_data(const std::string& order_id, const std::string& amount = "1500",
                                const std::string& extra = "", const std::string& payment_method = "pm_card_visa") {
  return R"({"order_id":")" + order_id + R"(","amount":)" + amount + R"(,"currency":"usd","payment_method":")" +
         payment_method + R"(")" + extra + "}";
}

}  // namespace payments::testing
