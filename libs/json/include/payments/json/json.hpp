#pragma once
// Untrusted JSON in, with limits checked before parsing, and typed field access whose errors name the field.
// Include only from .cpp files: RapidJSON is heavy.

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "payments/core/result.hpp"

namespace payments::json {

struct Limits {
  std::size_t max_bytes = 64 * 1024;
  int max_depth = 8;
};

// Refuses bodies over max_bytes and nesting deeper than max_depth before RapidJSON sees them (deep nesting
// is the classic parser stack overflow), then parses. Errors name what is wrong and where.
Result<rapidjson::Document> parse(std::string_view text, const Limits& limits = {});

// True when any string (or integer) anywhere in `value` looks like a card number.
bool contains_card_number(const rapidjson::Value& value);

// Reads the members of one JSON object; every error names the field with its path ("otp.channel").
class ObjectReader {
 public:
  ObjectReader(const rapidjson::Value& object, std::string path = {});

  [[nodiscard]] bool has(std::string_view name) const;
  Result<std::string> string(std::string_view name) const;
  Result<std::optional<std::string>> optional_string(std::string_view name) const;
  Result<std::int64_t> integer(std::string_view name) const;
  Result<std::optional<std::int64_t>> optional_integer(std::string_view name) const;
  // A flat object of string values.
  Result<std::vector<std::pair<std::string, std::string>>> string_map(std::string_view name) const;
  // Refuses members not in `allowed`, so callers cannot set fields they do not own (status, amount_refunded).
  Status only(std::initializer_list<std::string_view> allowed) const;

  [[nodiscard]] const rapidjson::Value* member(std::string_view name) const;
  [[nodiscard]] std::string field(std::string_view name) const;

 private:
  const rapidjson::Value& object_;
  std::string path_;
};

// A small builder over rapidjson::Writer for the service's outgoing documents.
class Builder {
 public:
  Builder();
  Builder& begin_object();
  Builder& end_object();
  Builder& key(std::string_view name);
  Builder& value(std::string_view text);
  Builder& value(std::int64_t number);
  Builder& value(bool flag);
  Builder& null();
  Builder& raw(std::string_view json);  // an already serialized value
  Builder& field(std::string_view name, std::string_view text) { return key(name).value(text); }
  Builder& field(std::string_view name, std::int64_t number) { return key(name).value(number); }
  Builder& optional_field(std::string_view name, const std::optional<std::string>& text);
  [[nodiscard]] std::string str() const;

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace payments::json
