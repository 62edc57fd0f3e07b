#include "support/json_schema.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>

namespace payments::testing {
namespace {

constexpr std::string_view kDraft = "https://json-schema.org/draft/2020-12/schema";
constexpr int kMaxDepth = 64;  // $ref chains deeper than this are a loop

std::string_view view(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

std::string dump(const rapidjson::Value& v, std::size_t max = 80) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  std::string out(buffer.GetString(), buffer.GetSize());
  if (out.size() > max) out = out.substr(0, max) + "...";
  return out;
}

// JSON Pointer escaping of one reference token.
std::string escape_token(std::string_view name) {
  std::string out;
  for (const char c : name) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string shown(const std::string& path) { return path.empty() ? "(root)" : path; }

// Length in Unicode code points of UTF-8 text, as JSON Schema counts it.
std::size_t code_points(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++n;
  }
  return n;
}

bool is_integer(const rapidjson::Value& v) {
  if (v.IsInt64() || v.IsUint64()) return true;
  if (!v.IsDouble()) return false;
  const double d = v.GetDouble();
  return std::isfinite(d) && std::floor(d) == d;
}

bool is_non_negative_integer(const rapidjson::Value& v) {
  return v.IsUint64() || (is_integer(v) && v.GetDouble() >= 0);
}

bool has_type(const rapidjson::Value& v, std::string_view type) {
  if (type == "null") return v.IsNull();
  if (type == "boolean") return v.IsBool();
  if (type == "object") return v.IsObject();
  if (type == "array") return v.IsArray();
  if (type == "string") return v.IsString();
  if (type == "number") return v.IsNumber();
  if (type == "integer") return v.IsNumber() && is_integer(v);
  return false;
}

bool known_type(std::string_view type) {
  return type == "null" || type == "boolean" || type == "object" || type == "array" || type == "string" ||
         type == "number" || type == "integer";
}

// -1, 0, 1 as a compares to b; both numbers. Exact for integers, doubles otherwise.
int compare_numbers(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (a.IsInt64() && b.IsInt64()) {
    const auto x = a.GetInt64();
    const auto y = b.GetInt64();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.IsUint64() && b.IsUint64()) {
    const auto x = a.GetUint64();
    const auto y = b.GetUint64();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  const double x = a.GetDouble();
  const double y = b.GetDouble();
  return x < y ? -1 : (x > y ? 1 : 0);
}

// JSON equality as JSON Schema defines it: 1 and 1.0 are equal, member order does not matter.
bool json_equal(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (a.IsNumber() && b.IsNumber()) return compare_numbers(a, b) == 0;
  if (a.GetType() != b.GetType()) return false;
  if (a.IsString()) return view(a) == view(b);
  if (a.IsArray()) {
    if (a.Size() != b.Size()) return false;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      if (!json_equal(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) return false;
    for (const auto& m : a.GetObject()) {
      const auto it = b.FindMember(m.name);
      if (it == b.MemberEnd() || !json_equal(m.value, it->value)) return false;
    }
    return true;
  }
  return true;  // null, true, false: same type is enough
}

}  // namespace

const std::set<std::string, std::less<>>& SchemaSet::supported_keywords() {
  static const std::set<std::string, std::less<>> keywords{
      // annotations, ignored when validating
      "$schema", "$defs", "$comment", "title", "description", "examples",
      // applicators
      "$ref", "properties", "additionalProperties", "propertyNames", "items", "allOf", "anyOf", "oneOf", "not",
      "if", "then", "else",
      // assertions
      "type", "enum", "const", "required", "maxProperties", "pattern", "minLength", "maxLength", "minimum",
      "maximum"};
  return keywords;
}

struct SchemaSet::Impl {
  std::filesystem::path directory;
  std::map<std::string, std::unique_ptr<rapidjson::Document>, std::less<>> documents;
  std::map<std::string, std::string, std::less<>> load_errors;
  std::map<std::string, std::regex, std::less<>> regexes;

  // A schema found by $ref, with the file its own relative references resolve against.
  struct Location {
    const rapidjson::Value* schema = nullptr;
    std::string file;
  };

  const rapidjson::Document* load(const std::string& file, std::string& error) {
    if (const auto it = documents.find(file); it != documents.end()) return it->second.get();
    if (const auto it = load_errors.find(file); it != load_errors.end()) {
      error = it->second;
      return nullptr;
    }
    // References stay inside the folder: a plain file name, nothing else.
    if (file.empty() || file.find('/') != std::string::npos || file.find('\\') != std::string::npos ||
        file.find("..") != std::string::npos) {
      error = "'" + file + "' is not a schema file name of this folder";
      load_errors.emplace(file, error);
      return nullptr;
    }
    std::ifstream in(directory / file, std::ios::binary);
    if (!in) {
      error = "cannot read " + (directory / file).string();
      load_errors.emplace(file, error);
      return nullptr;
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto document = std::make_unique<rapidjson::Document>();
    const std::string content = text.str();
    document->Parse(content.data(), content.size());
    if (document->HasParseError()) {
      error = file + " is not valid JSON: " + rapidjson::GetParseError_En(document->GetParseError()) +
              " at offset " + std::to_string(document->GetErrorOffset());
      load_errors.emplace(file, error);
      return nullptr;
    }
    const auto* raw = document.get();
    documents.emplace(file, std::move(document));
    return raw;
  }

  std::optional<Location> resolve(std::string_view ref, const std::string& from_file, std::string& error) {
    const auto hash = ref.find('#');
    std::string file(ref.substr(0, hash));
    const std::string fragment = hash == std::string_view::npos ? std::string() : std::string(ref.substr(hash + 1));
    if (file.empty()) file = from_file;
    const auto* document = load(file, error);
    if (document == nullptr) return std::nullopt;
    if (fragment.empty()) return Location{document, file};
    if (fragment.front() != '/') {
      error = "$ref '" + std::string(ref) + "': only JSON Pointer fragments are supported";
      return std::nullopt;
    }
    const rapidjson::Pointer pointer(fragment.data(), fragment.size());
    if (!pointer.IsValid()) {
      error = "$ref '" + std::string(ref) + "': not a valid JSON Pointer";
      return std::nullopt;
    }
    const auto* target = pointer.Get(*document);
    if (target == nullptr) {
      error = "$ref '" + std::string(ref) + "' points at nothing in " + file;
      return std::nullopt;
    }
    return Location{target, file};
  }

  const std::regex* regex(std::string_view pattern, std::string& error) {
    if (const auto it = regexes.find(pattern); it != regexes.end()) return &it->second;
    try {
      auto [it, added] = regexes.emplace(std::string(pattern), std::regex(std::string(pattern), std::regex::ECMAScript));
      (void)added;
      return &it->second;
    } catch (const std::regex_error& e) {
      error = "pattern '" + std::string(pattern) + "' is not a valid ECMAScript regex: " + e.what();
      return nullptr;
    }
  }

  // ---- checking a schema ---------------------------------------------------------------------------------

  void check_schema(const rapidjson::Value& s, const std::string& file, const std::string& where,
                    std::vector<std::string>& problems) {
    auto problem = [&](const std::string& what) { problems.push_back(file + "#" + where + ": " + what); };
    if (s.IsBool()) return;
    if (!s.IsObject()) {
      problem("a schema must be an object or a boolean");
      return;
    }
    for (const auto& m : s.GetObject()) {
      const std::string_view name = view(m.name);
      const auto& v = m.value;
      const std::string at = where + "/" + escape_token(name);
      if (supported_keywords().count(name) == 0) {
        problem("unsupported keyword '" + std::string(name) + "'");
        continue;
      }
      if (name == "$schema") {
        if (!where.empty()) problem("$schema belongs at the root only");
        if (!v.IsString() || view(v) != kDraft) problem("$schema must be " + std::string(kDraft));
      } else if (name == "title" || name == "description" || name == "$comment") {
        if (!v.IsString()) problem(std::string(name) + " must be a string");
      } else if (name == "examples") {
        if (!v.IsArray()) problem("examples must be an array");
      } else if (name == "properties" || name == "$defs") {
        if (!v.IsObject()) {
          problem(std::string(name) + " must be an object");
          continue;
        }
        for (const auto& p : v.GetObject()) check_schema(p.value, file, at + "/" + escape_token(view(p.name)), problems);
      } else if (name == "items" || name == "additionalProperties" || name == "propertyNames" || name == "not" ||
                 name == "if" || name == "then" || name == "else") {
        check_schema(v, file, at, problems);
      } else if (name == "allOf" || name == "anyOf" || name == "oneOf") {
        if (!v.IsArray() || v.Empty()) {
          problem(std::string(name) + " must be a non-empty array");
          continue;
        }
        for (rapidjson::SizeType i = 0; i < v.Size(); ++i) check_schema(v[i], file, at + "/" + std::to_string(i), problems);
      } else if (name == "$ref") {
        std::string error;
        if (!v.IsString()) {
          problem("$ref must be a string");
        } else if (!resolve(view(v), file, error)) {
          problem(error);
        }
      } else if (name == "type") {
        auto check_name = [&](const rapidjson::Value& t) {
          if (!t.IsString() || !known_type(view(t))) problem("type " + dump(t) + " is not a JSON Schema type");
        };
        if (v.IsArray()) {
          for (const auto& t : v.GetArray()) check_name(t);
        } else {
          check_name(v);
        }
      } else if (name == "enum") {
        if (!v.IsArray() || v.Empty()) problem("enum must be a non-empty array");
      } else if (name == "required") {
        if (!v.IsArray()) {
          problem("required must be an array");
          continue;
        }
        for (const auto& r : v.GetArray()) {
          if (!r.IsString()) problem("required names must be strings");
        }
      } else if (name == "pattern") {
        std::string error;
        if (!v.IsString()) {
          problem("pattern must be a string");
        } else if (regex(view(v), error) == nullptr) {
          problem(error);
        }
      } else if (name == "minLength" || name == "maxLength" || name == "maxProperties") {
        if (!v.IsNumber() || !is_non_negative_integer(v)) problem(std::string(name) + " must be a non-negative integer");
      } else if (name == "minimum" || name == "maximum") {
        if (!v.IsNumber()) problem(std::string(name) + " must be a number");
      }
      // const: any value.
    }
  }

  // ---- validating an instance ----------------------------------------------------------------------------

  bool matches(const rapidjson::Value& s, const std::string& file, const rapidjson::Value& instance,
               const std::string& path, int depth) {
    std::vector<std::string> errors;
    validate(s, file, instance, path, errors, depth);
    return errors.empty();
  }

  void validate(const rapidjson::Value& s, const std::string& file, const rapidjson::Value& instance,
                const std::string& path, std::vector<std::string>& errors, int depth) {
    auto fail = [&](const std::string& why) { errors.push_back(shown(path) + ": " + why); };
    if (depth > kMaxDepth) {
      fail("schema references nest deeper than " + std::to_string(kMaxDepth) + " (a $ref loop?)");
      return;
    }
    if (s.IsBool()) {
      if (!s.GetBool()) fail("no value is allowed here");
      return;
    }
    if (!s.IsObject()) {
      fail("schema is neither an object nor a boolean");
      return;
    }
    for (const auto& m : s.GetObject()) {
      const std::string_view name = view(m.name);
      if (supported_keywords().count(name) == 0) {
        // check() reports these; refuse rather than ignore a constraint we do not understand.
        fail("schema uses unsupported keyword '" + std::string(name) + "'");
      }
    }

    if (const auto ref = s.FindMember("$ref"); ref != s.MemberEnd() && ref->value.IsString()) {
      std::string error;
      const auto target = resolve(view(ref->value), file, error);
      if (!target) {
        fail(error);
      } else {
        validate(*target->schema, target->file, instance, path, errors, depth + 1);
      }
    }

    if (const auto type = s.FindMember("type"); type != s.MemberEnd()) {
      bool ok = false;
      if (type->value.IsArray()) {
        for (const auto& t : type->value.GetArray()) ok = ok || (t.IsString() && has_type(instance, view(t)));
      } else if (type->value.IsString()) {
        ok = has_type(instance, view(type->value));
      }
      if (!ok) fail(dump(instance) + " is not of type " + dump(type->value));
    }
    if (const auto e = s.FindMember("enum"); e != s.MemberEnd() && e->value.IsArray()) {
      bool found = false;
      for (const auto& option : e->value.GetArray()) found = found || json_equal(option, instance);
      if (!found) fail(dump(instance) + " is not one of " + dump(e->value, 200));
    }
    if (const auto c = s.FindMember("const"); c != s.MemberEnd()) {
      if (!json_equal(c->value, instance)) fail(dump(instance) + " is not " + dump(c->value));
    }

    if (instance.IsString()) validate_string(s, instance, fail);
    if (instance.IsNumber()) validate_number(s, instance, fail);
    if (instance.IsObject()) validate_object(s, file, instance, path, errors, depth, fail);
    if (instance.IsArray()) {
      if (const auto items = s.FindMember("items"); items != s.MemberEnd()) {
        for (rapidjson::SizeType i = 0; i < instance.Size(); ++i) {
          validate(items->value, file, instance[i], path + "/" + std::to_string(i), errors, depth + 1);
        }
      }
    }

    validate_combinators(s, file, instance, path, errors, depth, fail);
  }

  template <typename Fail>
  void validate_string(const rapidjson::Value& s, const rapidjson::Value& instance, Fail& fail) {
    const std::string_view text = view(instance);
    const auto length = code_points(text);
    if (const auto min = s.FindMember("minLength"); min != s.MemberEnd() && min->value.IsUint64()) {
      if (length < min->value.GetUint64()) fail(dump(instance) + " is shorter than " + dump(min->value) + " characters");
    }
    if (const auto max = s.FindMember("maxLength"); max != s.MemberEnd() && max->value.IsUint64()) {
      if (length > max->value.GetUint64()) fail(dump(instance) + " is longer than " + dump(max->value) + " characters");
    }
    if (const auto pattern = s.FindMember("pattern"); pattern != s.MemberEnd() && pattern->value.IsString()) {
      std::string error;
      const auto* re = regex(view(pattern->value), error);
      if (re == nullptr) {
        fail(error);
      } else if (!std::regex_search(text.begin(), text.end(), *re)) {
        fail(dump(instance) + " does not match " + dump(pattern->value));
      }
    }
  }

  template <typename Fail>
  void validate_number(const rapidjson::Value& s, const rapidjson::Value& instance, Fail& fail) {
    if (const auto min = s.FindMember("minimum"); min != s.MemberEnd() && min->value.IsNumber()) {
      if (compare_numbers(instance, min->value) < 0) fail(dump(instance) + " is less than the minimum " + dump(min->value));
    }
    if (const auto max = s.FindMember("maximum"); max != s.MemberEnd() && max->value.IsNumber()) {
      if (compare_numbers(instance, max->value) > 0) fail(dump(instance) + " is more than the maximum " + dump(max->value));
    }
  }

  template <typename Fail>
  void validate_object(const rapidjson::Value& s, const std::string& file, const rapidjson::Value& instance,
                       const std::string& path, std::vector<std::string>& errors, int depth, Fail& fail) {
    if (const auto required = s.FindMember("required"); required != s.MemberEnd() && required->value.IsArray()) {
      for (const auto& name : required->value.GetArray()) {
        if (name.IsString() && !instance.HasMember(name)) fail("'" + std::string(view(name)) + "' is required");
      }
    }
    if (const auto max = s.FindMember("maxProperties"); max != s.MemberEnd() && max->value.IsUint64()) {
      if (instance.MemberCount() > max->value.GetUint64()) {
        fail("has " + std::to_string(instance.MemberCount()) + " members, more than " + dump(max->value));
      }
    }
    const auto properties = s.FindMember("properties");
    const bool has_properties = properties != s.MemberEnd() && properties->value.IsObject();
    const auto additional = s.FindMember("additionalProperties");
    const auto names = s.FindMember("propertyNames");
    for (const auto& m : instance.GetObject()) {
      const std::string member_path = path + "/" + escape_token(view(m.name));
      if (names != s.MemberEnd()) {
        std::vector<std::string> name_errors;
        validate(names->value, file, m.name, member_path, name_errors, depth + 1);
        if (!name_errors.empty()) fail("member name " + dump(m.name) + " is not allowed: " + name_errors.front());
      }
      const rapidjson::Value* member_schema = nullptr;
      if (has_properties) {
        if (const auto p = properties->value.FindMember(m.name); p != properties->value.MemberEnd()) {
          member_schema = &p->value;
        }
      }
      if (member_schema != nullptr) {
        validate(*member_schema, file, m.value, member_path, errors, depth + 1);
      } else if (additional != s.MemberEnd()) {
        if (additional->value.IsFalse()) {
          fail("'" + std::string(view(m.name)) + "' is not an allowed member");
        } else {
          validate(additional->value, file, m.value, member_path, errors, depth + 1);
        }
      }
    }
  }

  template <typename Fail>
  void validate_combinators(const rapidjson::Value& s, const std::string& file, const rapidjson::Value& instance,
                            const std::string& path, std::vector<std::string>& errors, int depth, Fail& fail) {
    if (const auto all = s.FindMember("allOf"); all != s.MemberEnd() && all->value.IsArray()) {
      for (const auto& sub : all->value.GetArray()) validate(sub, file, instance, path, errors, depth + 1);
    }
    for (const char* keyword : {"anyOf", "oneOf"}) {
      const auto it = s.FindMember(keyword);
      if (it == s.MemberEnd() || !it->value.IsArray()) continue;
      int matched = 0;
      std::vector<std::string> why;
      rapidjson::SizeType index = 0;
      for (const auto& sub : it->value.GetArray()) {
        std::vector<std::string> sub_errors;
        validate(sub, file, instance, path, sub_errors, depth + 1);
        if (sub_errors.empty()) {
          ++matched;
        } else {
          for (const auto& e : sub_errors) why.push_back("[" + std::to_string(index) + "] " + e);
        }
        ++index;
      }
      if (std::string_view(keyword) == "anyOf" && matched == 0) {
        fail("matches none of anyOf: " + join(why));
      } else if (std::string_view(keyword) == "oneOf" && matched != 1) {
        fail("matches " + std::to_string(matched) + " of oneOf, not exactly one" + (matched == 0 ? ": " + join(why) : ""));
      }
    }
    if (const auto n = s.FindMember("not"); n != s.MemberEnd()) {
      if (matches(n->value, file, instance, path, depth + 1)) fail(dump(instance) + " matches a schema it must not: " + dump(n->value));
    }
    if (const auto condition = s.FindMember("if"); condition != s.MemberEnd()) {
      const bool holds = matches(condition->value, file, instance, path, depth + 1);
      const auto branch = s.FindMember(holds ? "then" : "else");
      if (branch != s.MemberEnd()) validate(branch->value, file, instance, path, errors, depth + 1);
    }
  }
};

SchemaSet::SchemaSet(std::filesystem::path directory) : impl_(std::make_unique<Impl>()) {
  impl_->directory = std::move(directory);
}
SchemaSet::~SchemaSet() = default;

std::vector<std::string> SchemaSet::check(const std::string& file) {
  std::vector<std::string> problems;
  std::string error;
  const auto* document = impl_->load(file, error);
  if (document == nullptr) return {error};
  if (!document->IsObject()) return {file + ": the root must be an object"};
  if (!document->HasMember("$schema")) problems.push_back(file + ": no $schema (" + std::string(kDraft) + ")");
  impl_->check_schema(*document, file, "", problems);
  return problems;
}

std::vector<std::string> SchemaSet::validate(const std::string& file, const rapidjson::Value& instance) {
  std::string error;
  const auto* document = impl_->load(file, error);
  if (document == nullptr) return {error};
  std::vector<std::string> errors;
  impl_->validate(*document, file, instance, "", errors, 0);
  return errors;
}

std::vector<std::string> SchemaSet::validate(const std::string& file, std::string_view json) {
  rapidjson::Document instance;
  instance.Parse(json.data(), json.size());
  if (instance.HasParseError()) {
    return {std::string("instance is not valid JSON: ") + rapidjson::GetParseError_En(instance.GetParseError())};
  }
  return validate(file, instance);
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    if (!out.empty()) out += "; ";
    out += line;
  }
  return out;
}

}  // namespace payments::testing
