#pragma once
// A small JSON Schema (draft 2020-12) validator for tests, over RapidJSON. It knows the subset of keywords
// the schemas in schemas/json use and nothing else: check() reports any other keyword, so a schema can never
// silently mean more than the tests enforce.
//
// Supported: type, properties, required, additionalProperties, propertyNames, maxProperties, items, enum,
// const, pattern (std::regex ECMAScript, unanchored like the spec), minLength/maxLength (code points),
// minimum/maximum, $ref (to "#/$defs/..." and to "file.json" or "file.json#/..." in the same folder),
// oneOf, anyOf, allOf, not, if/then/else, and the annotations $schema, $defs, $comment, title, description,
// examples.

#include <rapidjson/document.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace payments::testing {

class SchemaSet {
 public:
  // Schemas are read from `directory` on first use, by file name.
  explicit SchemaSet(std::filesystem::path directory);
  ~SchemaSet();
  SchemaSet(const SchemaSet&) = delete;
  SchemaSet& operator=(const SchemaSet&) = delete;

  // What is wrong with a schema file itself: not JSON, not declared as draft 2020-12, a keyword this
  // validator does not support, a malformed keyword value, a pattern std::regex refuses, a $ref that
  // resolves nowhere. Empty when the file is fine.
  std::vector<std::string> check(const std::string& file);

  // Why `instance` does not match the schema in `file` (each line: instance path, then the reason). Empty
  // when it matches.
  std::vector<std::string> validate(const std::string& file, const rapidjson::Value& instance);
  // The same for JSON text; text that does not parse is one error.
  std::vector<std::string> validate(const std::string& file, std::string_view json);

  static const std::set<std::string, std::less<>>& supported_keywords();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Joins validation errors into one string, for test failure messages.
std::string join(const std::vector<std::string>& lines);

}  // namespace payments::testing
