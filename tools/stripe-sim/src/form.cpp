#include "form.hpp"

#include <algorithm>

namespace payments::stripe_sim {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

FormParams FormParams::parse(std::string_view encoded) {
  FormParams params;
  while (!encoded.empty()) {
    const auto amp = encoded.find('&');
    const auto part = encoded.substr(0, amp);
    encoded = amp == std::string_view::npos ? std::string_view{} : encoded.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      params.pairs_.emplace_back(url_decode(part), std::string{});
    } else {
      params.pairs_.emplace_back(url_decode(part.substr(0, eq)), url_decode(part.substr(eq + 1)));
    }
  }
  return params;
}

std::optional<std::string> FormParams::get(std::string_view name) const {
  for (auto it = pairs_.rbegin(); it != pairs_.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> FormParams::nested(std::string_view prefix) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : pairs_) {
    if (name.size() > prefix.size() + 2 && name.compare(0, prefix.size(), prefix) == 0 &&
        name[prefix.size()] == '[' && name.back() == ']') {
      std::string key = name.substr(prefix.size() + 1, name.size() - prefix.size() - 2);
      auto existing = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == key; });
      if (existing != out.end()) {
        existing->second = value;
      } else {
        out.emplace_back(std::move(key), value);
      }
    }
  }
  return out;
}

std::string FormParams::fingerprint() const {
  auto sorted = pairs_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [name, value] : sorted) {
    out += std::to_string(name.size()) + ":" + name + "=" + std::to_string(value.size()) + ":" + value + ";";
  }
  return out;
}

void FormParams::append(const FormParams& other) {
  pairs_.insert(pairs_.end(), other.pairs_.begin(), other.pairs_.end());
}

}  // namespace payments::stripe_sim
