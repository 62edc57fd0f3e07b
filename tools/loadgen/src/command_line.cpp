#include "command_line.hpp"

#include <charconv>

namespace payments::loadgen {

Result<Arguments> Arguments::parse(int argc, char** argv, int first, const std::set<std::string>& valued,
                                   const std::set<std::string>& flags) {
  Arguments out;
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      out.positional_.push_back(arg);
    } else if (flags.contains(arg)) {
      out.flags_.insert(arg);
    } else if (valued.contains(arg)) {
      if (i + 1 >= argc) return Error::validation(arg, arg + " needs a value");
      out.values_[arg].push_back(argv[++i]);
    } else {
      return Error::validation(arg, "unknown option " + arg);
    }
  }
  return out;
}

std::string Arguments::text(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second.back();
}

std::vector<std::string> Arguments::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

Result<double> Arguments::number(const std::string& name, double fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  const auto& text = it->second.back();
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0) {
    return Error::validation(name, name + " must be a non-negative number, got '" + text + "'");
  }
  return value;
}

}  // namespace payments::loadgen
