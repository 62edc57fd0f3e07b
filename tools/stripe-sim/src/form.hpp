#pragma once
// application/x-www-form-urlencoded, as Stripe's API takes it: `a=1&metadata[order_id]=x`.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace payments::stripe_sim {

// Decoded name/value pairs in the order sent. A name sent twice keeps both; get() returns the last.
class FormParams {
 public:
  static FormParams parse(std::string_view encoded);

  [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
  // `metadata[k]=v` pairs as {k, v}, for the given prefix ("metadata").
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> nested(std::string_view prefix) const;
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& all() const noexcept { return pairs_; }
  // A canonical text of all pairs (sorted), to compare two requests' parameters.
  [[nodiscard]] std::string fingerprint() const;
  // Merges `other` after this one's pairs (query string and body of one request).
  void append(const FormParams& other);

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

// Percent-decoding with '+' as space; invalid escapes are kept literally.
std::string url_decode(std::string_view text);

}  // namespace payments::stripe_sim
