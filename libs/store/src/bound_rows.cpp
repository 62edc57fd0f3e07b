#include "bound_rows.hpp"

namespace payments::store::detail {

void BoundValues::add(std::string value) {
  const std::string& kept = strings_.emplace_back(std::move(value));
  binders_.emplace_back([&kept](soci::statement& s) { s.exchange(soci::use(kept)); });
}

void BoundValues::add(long long value) {
  const long long& kept = integers_.emplace_back(value);
  binders_.emplace_back([&kept](soci::statement& s) { s.exchange(soci::use(kept)); });
}

void BoundValues::add(std::optional<std::string> value) {
  soci::indicator& ind = indicators_.emplace_back(value ? soci::i_ok : soci::i_null);
  const std::string& kept = strings_.emplace_back(value.value_or(""));
  binders_.emplace_back([&kept, &ind](soci::statement& s) { s.exchange(soci::use(kept, ind)); });
}

long long BoundValues::execute(soci::session& sql, const std::string& sql_text) {
  soci::statement statement(sql);
  for (const auto& bind : binders_) bind(statement);
  statement.alloc();
  statement.prepare(sql_text);
  statement.define_and_bind();
  statement.execute(true);
  return statement.get_affected_rows();
}

void BoundValues::query(soci::session& sql, const std::string& sql_text,
                        const std::function<void(const soci::row&)>& on_row) {
  soci::row row;
  soci::statement statement(sql);
  for (const auto& bind : binders_) bind(statement);
  statement.exchange(soci::into(row));
  statement.alloc();
  statement.prepare(sql_text);
  statement.define_and_bind();
  if (!statement.execute(true)) return;
  do {
    on_row(row);
  } while (statement.fetch());
}

std::string placeholders(std::size_t rows, const std::string& row, std::size_t first, const std::string& separator) {
  std::string out;
  std::size_t n = first;
  for (std::size_t r = 0; r < rows; ++r) {
    if (r > 0) out += separator;
    for (const char c : row) {
      if (c == '?') {
        out += ":v" + std::to_string(n++);
      } else {
        out += c;
      }
    }
  }
  return out;
}

}  // namespace payments::store::detail
