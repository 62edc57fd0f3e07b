#include <soci/soci.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "payments/core/log.hpp"
#include "payments/crypto/crypto.hpp"
#include "payments/store/database.hpp"

#include "migration_lock.hpp"

namespace payments::store {
namespace {

// Statements end with ';' at the end of a line; lines starting with "--" are comments.
std::vector<std::string> split_statements(const std::string& sql) {
  std::vector<std::string> statements;
  std::istringstream lines(sql);
  std::string line;
  std::string current;
  while (std::getline(lines, line)) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line.compare(first, 2, "--") == 0) continue;
    current += line;
    current += '\n';
    const auto last = line.find_last_not_of(" \t\r");
    if (line[last] == ';') {
      current.erase(current.find_last_of(';'));
      statements.push_back(std::move(current));
      current.clear();
    }
  }
  if (current.find_first_not_of(" \t\r\n") != std::string::npos) statements.push_back(std::move(current));
  return statements;
}

}  // namespace

Result<std::vector<Migration>> load_migrations(const std::filesystem::path& directory) {
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec)) {
    return Error::validation("migrations", "migration folder " + directory.string() + " does not exist");
  }
  static const std::regex kName(R"(V(\d{3,})__[a-z0-9_]+\.sql)");
  std::map<int, Migration> by_version;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    std::smatch match;
    if (!std::regex_match(name, match, kName)) {
      return Error::validation("migrations", "unexpected file " + name + " in " + directory.string() +
                                                 " (expected V<number>__<name>.sql)");
    }
    Migration migration;
    migration.version = std::stoi(match[1].str());
    migration.name = name;
    std::ifstream in(entry.path(), std::ios::binary);
    migration.sql.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    migration.checksum = crypto::sha256_hex(migration.sql);
    if (by_version.contains(migration.version)) {
      return Error::validation("migrations", "two migrations with version " + std::to_string(migration.version));
    }
    by_version.emplace(migration.version, std::move(migration));
  }
  std::vector<Migration> out;
  for (auto& [version, migration] : by_version) out.push_back(std::move(migration));
  return out;
}

Result<MigrationReport> migrate(Database& database, const std::vector<Migration>& migrations) {
  MigrationReport report;
  std::optional<Error> refusal;
  auto status = database.with_session([&](soci::session& sql) {
    report = {};
    refusal.reset();
    sql << "CREATE TABLE IF NOT EXISTS schema_migrations ("
           " version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, checksum CHAR(64) NOT NULL,"
           " applied_at DATETIME(6) NOT NULL) ENGINE = InnoDB";
    const detail::MigrationLock lock(sql);
    if (!lock.held()) {
      refusal = detail::MigrationLock::busy();
      return;
    }

    std::map<int, std::pair<std::string, std::string>> recorded;
    soci::rowset<soci::row> rows = (sql.prepare << "SELECT version, name, checksum FROM schema_migrations");
    for (const auto& row : rows) {
      recorded[row.get<int>(0)] = {row.get<std::string>(1), row.get<std::string>(2)};
    }
    for (const auto& migration : migrations) {
      if (auto it = recorded.find(migration.version); it != recorded.end()) {
        if (it->second.second != migration.checksum) {
          refusal = Error::validation(
              "migrations", "migration " + migration.name + " was changed after it was applied (recorded checksum " +
                                it->second.second.substr(0, 12) + ", file " + migration.checksum.substr(0, 12) +
                                "); add a new migration instead of editing an applied one");
          return;
        }
        ++report.already_applied;
        continue;
      }
      for (const auto& statement : split_statements(migration.sql)) sql << statement;
      sql << "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (:v, :n, :c, NOW(6))",
          soci::use(migration.version), soci::use(migration.name), soci::use(migration.checksum);
      report.applied.push_back(migration.name);
      log::info("migration applied", {{"name", migration.name}});
    }
  });
  if (!status) return std::move(status).error();
  if (refusal) return std::move(*refusal);
  return report;
}

}  // namespace payments::store
