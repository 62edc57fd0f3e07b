#pragma once
// Statements whose number of rows is known only at run time (multi-row INSERTs, IN lists): the values are
// collected in placeholder order and bound when the statement runs. SOCI binds by reference, so the values
// are kept here, by value, until then.

#include <soci/soci.h>

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace payments::store::detail {

class BoundValues {
 public:
  void add(std::string value);
  void add(long long value);
  void add(std::optional<std::string> value);  // NULL when empty

  // Runs `sql_text` with the values bound to its placeholders in order; returns the affected row count.
  long long execute(soci::session& sql, const std::string& sql_text);
  // Runs a query with the values bound, and hands each row to `on_row`.
  void query(soci::session& sql, const std::string& sql_text, const std::function<void(const soci::row&)>& on_row);

 private:
  std::deque<std::string> strings_;
  std::deque<long long> integers_;
  std::deque<soci::indicator> indicators_;
  std::vector<std::function<void(soci::statement&)>> binders_;
};

// `row` repeated `rows` times, `separator` between, with each '?' in it made a numbered placeholder:
// placeholders(2, "(?, ?, NOW())") is "(:v0, :v1, NOW()), (:v2, :v3, NOW())". Numbering starts at `first`.
std::string placeholders(std::size_t rows, const std::string& row, std::size_t first = 0,
                         const std::string& separator = ", ");

}  // namespace payments::store::detail
