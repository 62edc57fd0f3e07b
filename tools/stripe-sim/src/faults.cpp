#include "faults.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace payments::stripe_sim {

namespace {
constexpr std::int64_t kMaxLatencyMs = 600'000;
}

FaultInjector::FaultInjector(FaultSettings settings, std::uint64_t seed)
    : initial_(settings), current_(settings), random_(seed) {}

Fault FaultInjector::next() {
  std::lock_guard lock(mutex_);
  if (current_.rate_limit_rate <= 0 && current_.fail_rate <= 0 && current_.timeout_rate <= 0) return Fault::none;
  const double draw = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  double threshold = current_.rate_limit_rate;
  if (draw < threshold) return Fault::rate_limit;
  threshold += current_.fail_rate;
  if (draw < threshold) return Fault::fail;
  threshold += current_.timeout_rate;
  if (draw < threshold) return Fault::timeout;
  return Fault::none;
}

FaultSettings FaultInjector::settings() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void FaultInjector::set(FaultSettings settings) {
  std::lock_guard lock(mutex_);
  current_ = settings;
}

void FaultInjector::restore_initial() {
  std::lock_guard lock(mutex_);
  current_ = initial_;
}

Status FaultInjector::validate(const FaultSettings& settings) {
  auto rate_ok = [](double rate) { return rate >= 0.0 && rate <= 1.0; };
  if (!rate_ok(settings.fail_rate)) return Error::validation("fail_rate", "must be between 0 and 1");
  if (!rate_ok(settings.timeout_rate)) return Error::validation("timeout_rate", "must be between 0 and 1");
  if (!rate_ok(settings.rate_limit_rate)) return Error::validation("rate_limit_rate", "must be between 0 and 1");
  if (settings.latency_ms < 0 || settings.latency_ms > kMaxLatencyMs) {
    return Error::validation("latency_ms", "must be between 0 and 600000");
  }
  return Ok{};
}

Result<FaultSettings> FaultInjector::parse_json(std::string_view json, FaultSettings base) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseStopWhenDoneFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return Error::validation("body", "must be a JSON object");
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    const std::string name(it->name.GetString(), it->name.GetStringLength());
    const auto& value = it->value;
    if (name == "latency_ms") {
      if (!value.IsInt64()) return Error::validation(name, "must be an integer number of milliseconds");
      base.latency_ms = value.GetInt64();
      continue;
    }
    double* target = name == "fail_rate"         ? &base.fail_rate
                     : name == "timeout_rate"    ? &base.timeout_rate
                     : name == "rate_limit_rate" ? &base.rate_limit_rate
                                                 : nullptr;
    if (!target) return Error::validation(name, "unknown setting");
    if (!value.IsNumber()) return Error::validation(name, "must be a number between 0 and 1");
    *target = value.GetDouble();
  }
  if (auto valid = validate(base); !valid) return valid.error();
  return base;
}

std::string FaultInjector::to_json(const FaultSettings& settings) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("fail_rate");
  w.Double(settings.fail_rate);
  w.Key("timeout_rate");
  w.Double(settings.timeout_rate);
  w.Key("rate_limit_rate");
  w.Double(settings.rate_limit_rate);
  w.Key("latency_ms");
  w.Int64(settings.latency_ms);
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace payments::stripe_sim
