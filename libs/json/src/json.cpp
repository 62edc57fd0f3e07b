#include "payments/json/json.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "payments/core/card_number.hpp"

namespace payments::json {
namespace {

// Deepest nesting of objects and arrays, ignoring brackets inside strings. Stops counting past `limit`.
int nesting_depth(std::string_view text, int limit) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF.
bool is_utf8(const char* text, std::size_t size) {
  const auto* p = reinterpret_cast<const unsigned char*>(text);
  const auto* end = p + size;
  while (p < end) {
    const unsigned char c = *p;
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++p;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
      code = c & 0x1FU;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      code = c & 0x0FU;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      code = c & 0x07U;
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) < length) return false;
    for (std::size_t i = 1; i < length; ++i) {
      if ((p[i] & 0xC0U) != 0x80U) return false;
      code = (code << 6U) | (p[i] & 0x3FU);
    }
    if ((length == 3 && code < 0x800) || (length == 4 && (code < 0x10000 || code > 0x10FFFF))) return false;
    if (code >= 0xD800 && code <= 0xDFFF) return false;
    p += length;
  }
  return true;
}

// Whether every string and member name in `root` is UTF-8. The input's bytes are checked while parsing, but a
// \u escape of a lone surrogate (\uDC00) is decoded into bytes that are not: they would be stored and written
// back out as invalid JSON. Iterative, like the parse.
bool strings_are_utf8(const rapidjson::Value& root) {
  std::vector<const rapidjson::Value*> pending{&root};
  while (!pending.empty()) {
    const rapidjson::Value* v = pending.back();
    pending.pop_back();
    if (v->IsString()) {
      if (!is_utf8(v->GetString(), v->GetStringLength())) return false;
    } else if (v->IsArray()) {
      for (const auto& item : v->GetArray()) pending.push_back(&item);
    } else if (v->IsObject()) {
      for (const auto& member : v->GetObject()) {
        if (!is_utf8(member.name.GetString(), member.name.GetStringLength())) return false;
        pending.push_back(&member.value);
      }
    }
  }
  return true;
}

std::string type_name(const rapidjson::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsString()) return "a string";
  if (v.IsNumber()) return "a number";
  if (v.IsArray()) return "an array";
  return "an object";
}

}  // namespace

Result<rapidjson::Document> parse(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_bytes) {
    return Error::validation("", "body is " + std::to_string(text.size()) + " bytes; the limit is " +
                                     std::to_string(limits.max_bytes));
  }
  if (nesting_depth(text, limits.max_depth) > limits.max_depth) {
    return Error::validation("", "JSON nests deeper than " + std::to_string(limits.max_depth) + " levels");
  }
  rapidjson::Document document;
  // Iterative parsing: no recursion, so no stack to overflow whatever the input. Strings must be valid UTF-8:
  // bytes that are not would be stored, echoed and published as they came.
  document.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (document.HasParseError()) {
    return Error::validation("", std::string("body is not valid JSON: ") +
                                     rapidjson::GetParseError_En(document.GetParseError()) + " at offset " +
                                     std::to_string(document.GetErrorOffset()));
  }
  if (!document.IsObject()) return Error::validation("", "body must be a JSON object");
  if (!strings_are_utf8(document)) {
    return Error::validation("", "body is not valid JSON: a string escapes a lone surrogate (\\uD800-\\uDFFF), "
                                 "which is no character");
  }
  return document;
}

bool contains_card_number(const rapidjson::Value& value) {
  if (value.IsString()) return payments::contains_card_number({value.GetString(), value.GetStringLength()});
  if (value.IsUint64()) return payments::contains_card_number(std::to_string(value.GetUint64()));
  if (value.IsObject()) {
    for (const auto& m : value.GetObject()) {
      // Keys too: {"metadata": {"4242424242424242": "x"}} carries a card number as well as a value would.
      if (contains_card_number(m.name) || contains_card_number(m.value)) return true;
    }
  }
  if (value.IsArray()) {
    for (const auto& v : value.GetArray()) {
      if (contains_card_number(v)) return true;
    }
  }
  return false;
}

ObjectReader::ObjectReader(const rapidjson::Value& object, std::string path)
    : object_(object), path_(std::move(path)) {}

std::string ObjectReader::field(std::string_view name) const {
  return path_.empty() ? std::string(name) : path_ + "." + std::string(name);
}

const rapidjson::Value* ObjectReader::member(std::string_view name) const {
  const auto it = object_.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
  return it == object_.MemberEnd() ? nullptr : &it->value;
}

bool ObjectReader::has(std::string_view name) const {
  const auto* v = member(name);
  return v != nullptr && !v->IsNull();
}

Result<std::string> ObjectReader::string(std::string_view name) const {
  const auto* v = member(name);
  if (v == nullptr || v->IsNull()) return Error::validation(field(name), "is required");
  if (!v->IsString()) return Error::validation(field(name), "must be a string, not " + type_name(*v));
  return std::string(v->GetString(), v->GetStringLength());
}

Result<std::optional<std::string>> ObjectReader::optional_string(std::string_view name) const {
  if (!has(name)) return std::optional<std::string>{};
  auto s = string(name);
  if (!s) return std::move(s).error();
  return std::optional<std::string>{std::move(s).value()};
}

Result<std::int64_t> ObjectReader::integer(std::string_view name) const {
  const auto* v = member(name);
  if (v == nullptr || v->IsNull()) return Error::validation(field(name), "is required");
  if (!v->IsInt64()) {
    const bool fractional = v->IsDouble();
    return Error::validation(field(name), fractional ? "must be an integer of minor units (no decimal point)"
                                                     : "must be an integer, not " + type_name(*v));
  }
  return v->GetInt64();
}

Result<std::optional<std::int64_t>> ObjectReader::optional_integer(std::string_view name) const {
  if (!has(name)) return std::optional<std::int64_t>{};
  auto i = integer(name);
  if (!i) return std::move(i).error();
  return std::optional<std::int64_t>{i.value()};
}

Result<std::vector<std::pair<std::string, std::string>>> ObjectReader::string_map(std::string_view name) const {
  std::vector<std::pair<std::string, std::string>> out;
  const auto* v = member(name);
  if (v == nullptr || v->IsNull()) return out;
  if (!v->IsObject()) return Error::validation(field(name), "must be an object of strings, not " + type_name(*v));
  for (const auto& m : v->GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    if (!m.value.IsString()) return Error::validation(field(name) + "." + key, "must be a string");
    out.emplace_back(std::move(key), std::string(m.value.GetString(), m.value.GetStringLength()));
  }
  return out;
}

Status ObjectReader::only(std::initializer_list<std::string_view> allowed) const {
  for (const auto& m : object_.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name.empty()) {
      // A member without a name names no field: the error names the object that holds it.
      return path_.empty() ? Error::validation("", "body has a member with an empty name; remove it")
                           : Error::validation(path_, "has a member with an empty name; remove it");
    }
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      if (safe_to_echo(name, 64)) return Error::validation(field(name), "is not a known field");
      // Too long to repeat whole, or a card number: the error names the object that holds it instead.
      return path_.empty()
                 ? Error::validation("", "body has a member that is not a known field (its name is not repeated)")
                 : Error::validation(path_, "has a member that is not a known field (its name is not repeated)");
    }
  }
  return Ok{};
}

Builder::Builder() : writer_(buffer_) {}
Builder& Builder::begin_object() {
  writer_.StartObject();
  return *this;
}
Builder& Builder::end_object() {
  writer_.EndObject();
  return *this;
}
Builder& Builder::key(std::string_view name) {
  writer_.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  return *this;
}
Builder& Builder::value(std::string_view text) {
  writer_.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return *this;
}
Builder& Builder::value(std::int64_t number) {
  writer_.Int64(number);
  return *this;
}
Builder& Builder::value(bool flag) {
  writer_.Bool(flag);
  return *this;
}
Builder& Builder::null() {
  writer_.Null();
  return *this;
}
Builder& Builder::raw(std::string_view json) {
  writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  return *this;
}
Builder& Builder::optional_field(std::string_view name, const std::optional<std::string>& text) {
  if (text) field(name, *text);
  return *this;
}
std::string Builder::str() const { return {buffer_.GetString(), buffer_.GetSize()}; }

}  // namespace payments::json
