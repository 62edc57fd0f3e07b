#include "payments/core/currency.hpp"

#include <algorithm>
#include <cctype>

namespace payments {

namespace {

// Minimums are Stripe's published ones (about 0.50 USD); for the three-decimal currencies, whose minimum
// Stripe does not list in our reference, the 0.50 USD equivalent rounded up to a multiple of 10.
constexpr std::array<Currency::Rule, 18> kRules{{
    {"usd", 2, 50},  {"eur", 2, 50},  {"cad", 2, 50},   {"aud", 2, 50},   {"chf", 2, 50},
    {"gbp", 2, 30},  {"hkd", 2, 400}, {"mxn", 2, 1000}, {"sek", 2, 300},  {"nok", 2, 300},
    {"dkk", 2, 250}, {"jpy", 0, 50},  {"krw", 0, 700},  {"bhd", 3, 200},  {"jod", 3, 360},
    {"kwd", 3, 160}, {"omr", 3, 200}, {"tnd", 3, 1600},
}};

}  // namespace

Currency::Currency(const Rule& rule)
    : code_(rule.code), exponent_(rule.exponent), minimum_charge_(rule.minimum_charge) {}

std::optional<Currency> Currency::from_code(std::string_view code) {
  if (code.size() != 3) return std::nullopt;
  std::string lower(code);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto* it = std::find_if(kRules.begin(), kRules.end(), [&](const Rule& r) { return r.code == lower; });
  if (it == kRules.end()) return std::nullopt;
  return Currency(*it);
}

std::string Currency::supported_codes() {
  std::string out;
  for (const auto& rule : kRules) {
    if (!out.empty()) out += ", ";
    out += rule.code;
  }
  return out;
}

}  // namespace payments
