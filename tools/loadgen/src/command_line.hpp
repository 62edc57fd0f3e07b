#pragma once
// `--name value` options and bare `--flag`s, repeatable; no more than the load generator needs.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "payments/core/result.hpp"

namespace payments::loadgen {

class Arguments {
 public:
  // argv[first..]: options from `valued` take the next argument, `flags` stand alone; anything else that
  // starts with "--" is an error, the rest are positional.
  static Result<Arguments> parse(int argc, char** argv, int first, const std::set<std::string>& valued,
                                 const std::set<std::string>& flags);

  [[nodiscard]] std::string text(const std::string& name, const std::string& fallback = {}) const;
  [[nodiscard]] std::vector<std::string> all(const std::string& name) const;
  [[nodiscard]] bool flag(const std::string& name) const { return flags_.contains(name); }
  [[nodiscard]] bool has(const std::string& name) const { return values_.contains(name); }
  // Numbers; an unparsable value is a validation error naming the option.
  [[nodiscard]] Result<double> number(const std::string& name, double fallback) const;
  [[nodiscard]] const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

}  // namespace payments::loadgen
