// The orchestrator's SQLite database: the only file that includes <sqlite3.h>.
//
// Opened in WAL mode with a busy timeout, so that the daemon and a CLI command
// (`drover keys accept`) can use the same file at once. The schema is
// versioned: Open applies every migration newer than the file's
// `user_version` in one transaction, and refuses a file from a newer drover.
// Not thread-safe: one Database per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "common/status.h"

struct sqlite3;

namespace drover::state {

using SqlValue = std::variant<std::nullptr_t, int64_t, double, std::string>;

class Row {
 public:
  explicit Row(std::vector<SqlValue> values) : values_(std::move(values)) {}
  int64_t Int(size_t i) const;
  std::string Text(size_t i) const;  // "" for NULL
  bool IsNull(size_t i) const { return std::holds_alternative<std::nullptr_t>(values_.at(i)); }

 private:
  std::vector<SqlValue> values_;
};

class Database {
 public:
  static Result<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one statement with bound parameters; `on_row` sees each result row.
  Status Exec(const std::string& sql, const std::vector<SqlValue>& params = {},
              const std::function<void(const Row&)>& on_row = nullptr);

  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT, rolling back on error.
  Status Transaction(const std::function<Status()>& body);

  // Changes whenever another connection commits (PRAGMA data_version): how
  // the daemon learns that `drover keys` changed something.
  int64_t DataVersion();

  int SchemaVersion();
  const std::string& path() const { return path_; }

 private:
  Database() = default;
  Status Migrate();

  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace drover::state
