#include "faults.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace payments::stripe_sim {

namespace {
constexpr std::int64_t kMaxLatencyMs = 600'000;
constexpr int kMaxRateLimit = 100'000;
}  // namespace

FaultInjector::FaultInjector(FaultSettings settings, std::uint64_t seed)
    : initial_(settings), current_(settings), random_(seed) {
  apply_rate_limit();
}

void FaultInjector::apply_rate_limit() {
  if (current_.rate_limit <= 0) {
    limit_.reset();
    return;
  }
  const double rate = current_.rate_limit;
  if (!limit_) {
    limit_.emplace(rate, rate, TokenBucket::Clock::now());
  } else {
    limit_->set_rate(rate, rate, TokenBucket::Clock::now());
  }
}

Fault FaultInjector::next(TokenBucket::Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Fault fault = Fault::none;
  if (limit_ && !limit_->try_take(now)) {
    fault = Fault::rate_limit;
  } else {
    fault = draw();
  }
  if (fault == Fault::rate_limit) ++counts_.rate_limited;
  if (fault == Fault::fail) ++counts_.failed;
  if (fault == Fault::timeout) ++counts_.timed_out;
  return fault;
}

Fault FaultInjector::draw() {
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

FaultCounts FaultInjector::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

void FaultInjector::set(FaultSettings settings) {
  std::lock_guard lock(mutex_);
  current_ = settings;
  apply_rate_limit();
}

void FaultInjector::restore_initial() {
  std::lock_guard lock(mutex_);
  current_ = initial_;
  counts_ = {};
  limit_.reset();  // a fresh, full bucket
  apply_rate_limit();
}

Status FaultInjector::validate(const FaultSettings& settings) {
  auto rate_ok = [](double rate) { return rate >= 0.0 && rate <= 1.0; };
  if (!rate_ok(settings.fail_rate)) return Error::validation("fail_rate", "must be between 0 and 1");
  if (!rate_ok(settings.timeout_rate)) return Error::validation("timeout_rate", "must be between 0 and 1");
  if (!rate_ok(settings.rate_limit_rate)) return Error::validation("rate_limit_rate", "must be between 0 and 1");
  if (settings.latency_ms < 0 || settings.latency_ms > kMaxLatencyMs) {
    return Error::validation("latency_ms", "must be between 0 and 600000");
  }
  if (settings.rate_limit < 0 || settings.rate_limit > kMaxRateLimit) {
    return Error::validation("rate_limit", "must be between 0 and 100000 requests a second");
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
    if (name == "rate_limit") {
      if (!value.IsInt()) return Error::validation(name, "must be an integer number of requests a second");
      base.rate_limit = value.GetInt();
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

std::string FaultInjector::to_json(const FaultSettings& settings, const std::optional<FaultCounts>& counts) {
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
  w.Key("rate_limit");
  w.Int(settings.rate_limit);
  if (counts) {
    w.Key("injected");
    w.StartObject();
    w.Key("rate_limited");
    w.Int64(counts->rate_limited);
    w.Key("failed");
    w.Int64(counts->failed);
    w.Key("timed_out");
    w.Int64(counts->timed_out);
    w.EndObject();
  }
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace payments::stripe_sim
