#include "orchestrator/state/database.h"

#include <sqlite3.h>

namespace drover::state {
namespace {

// Each entry moves the schema one version up. Never edit a released entry:
// add a new one (and note it in CHANGELOG).
const std::vector<const char*>& Migrations() {
  static const std::vector<const char*> migrations = {
      // 1: keys and the last inventory reported by each agent.
      "CREATE TABLE keys ("
      "  public_key TEXT PRIMARY KEY,"
      "  name TEXT NOT NULL DEFAULT '',"
      "  role TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'operator')),"
      "  status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),"
      "  address TEXT NOT NULL DEFAULT '',"
      "  first_seen INTEGER NOT NULL,"
      "  changed_at INTEGER NOT NULL);"
      "CREATE TABLE hosts ("
      "  name TEXT PRIMARY KEY,"
      "  public_key TEXT NOT NULL,"
      "  facts TEXT NOT NULL,"
      "  version TEXT NOT NULL,"
      "  last_seen INTEGER NOT NULL);",
      // 2: plan runs, their steps, and the journal of every step transition
      // (written before the action it records; docs/runs.md).
      "CREATE TABLE runs ("
      "  id TEXT PRIMARY KEY,"
      "  plan TEXT NOT NULL,"
      "  state TEXT NOT NULL,"
      "  error TEXT NOT NULL DEFAULT '',"
      "  created_at INTEGER NOT NULL,"
      "  updated_at INTEGER NOT NULL);"
      "CREATE TABLE run_steps ("
      "  run_id TEXT NOT NULL REFERENCES runs(id),"
      "  step_id TEXT NOT NULL,"
      "  ordinal INTEGER NOT NULL,"
      "  state TEXT NOT NULL,"
      "  phase TEXT NOT NULL DEFAULT '',"
      "  attempts INTEGER NOT NULL DEFAULT 0,"
      "  result TEXT NOT NULL DEFAULT '',"
      "  error TEXT NOT NULL DEFAULT '',"
      "  updated_at INTEGER NOT NULL,"
      "  PRIMARY KEY (run_id, step_id));"
      "CREATE TABLE run_journal ("
      "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
      "  run_id TEXT NOT NULL,"
      "  step_id TEXT NOT NULL DEFAULT '',"
      "  at_ms INTEGER NOT NULL,"
      "  event TEXT NOT NULL,"
      "  detail TEXT NOT NULL DEFAULT '');",
  };
  return migrations;
}

Status SqlError(sqlite3* db, const std::string& what) {
  return IoError(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

}  // namespace

int64_t Row::Int(size_t i) const {
  const SqlValue& v = values_.at(i);
  if (auto p = std::get_if<int64_t>(&v)) return *p;
  if (auto p = std::get_if<double>(&v)) return static_cast<int64_t>(*p);
  return 0;
}

std::string Row::Text(size_t i) const {
  const SqlValue& v = values_.at(i);
  if (auto p = std::get_if<std::string>(&v)) return *p;
  if (auto p = std::get_if<int64_t>(&v)) return std::to_string(*p);
  return "";
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  std::unique_ptr<Database> d(new Database());
  d->path_ = path;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &d->db_, flags, nullptr) != SQLITE_OK) {
    return Err(SqlError(d->db_, "cannot open state database " + path));
  }
  sqlite3_busy_timeout(d->db_, 5000);
  std::string mode;
  RETURN_IF_ERROR(d->Exec("PRAGMA journal_mode=WAL", {}, [&](const Row& r) { mode = r.Text(0); }));
  if (mode != "wal") return Err(IoError("state database " + path + ": WAL mode refused"));
  RETURN_IF_ERROR(d->Exec("PRAGMA synchronous=NORMAL"));
  RETURN_IF_ERROR(d->Exec("PRAGMA foreign_keys=ON"));
  RETURN_IF_ERROR(d->Migrate().WithContext("state database " + path));
  return d;
}

Database::~Database() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Status Database::Exec(const std::string& sql, const std::vector<SqlValue>& params,
                      const std::function<void(const Row&)>& on_row) {
  const char* tail = sql.c_str();
  size_t bound = 0;
  while (tail != nullptr && *tail != '\0') {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, tail, -1, &stmt, &tail) != SQLITE_OK) {
      return SqlError(db_, "SQL error");
    }
    if (stmt == nullptr) break;  // trailing white space
    int n = sqlite3_bind_parameter_count(stmt);
    for (int i = 1; i <= n && bound < params.size(); ++i, ++bound) {
      const SqlValue& p = params[bound];
      if (auto v = std::get_if<int64_t>(&p))
        sqlite3_bind_int64(stmt, i, *v);
      else if (auto d = std::get_if<double>(&p))
        sqlite3_bind_double(stmt, i, *d);
      else if (auto s = std::get_if<std::string>(&p))
        sqlite3_bind_text(stmt, i, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
      else
        sqlite3_bind_null(stmt, i);
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      if (!on_row) continue;
      std::vector<SqlValue> values;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER:
            values.emplace_back(int64_t{sqlite3_column_int64(stmt, c)});
            break;
          case SQLITE_FLOAT:
            values.emplace_back(sqlite3_column_double(stmt, c));
            break;
          case SQLITE_NULL:
            values.emplace_back(nullptr);
            break;
          default:
            values.emplace_back(
                std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                            sqlite3_column_bytes(stmt, c)));
        }
      }
      on_row(Row(std::move(values)));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return SqlError(db_, "SQL error");
  }
  return Status::Ok();
}

Status Database::Transaction(const std::function<Status()>& body) {
  RETURN_STATUS_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  Status s = body();
  if (!s.ok()) {
    (void)Exec("ROLLBACK");
    return s;
  }
  return Exec("COMMIT");
}

int64_t Database::DataVersion() {
  int64_t v = -1;
  (void)Exec("PRAGMA data_version", {}, [&](const Row& r) { v = r.Int(0); });
  return v;
}

int Database::SchemaVersion() {
  int v = 0;
  (void)Exec("PRAGMA user_version", {}, [&](const Row& r) { v = static_cast<int>(r.Int(0)); });
  return v;
}

Status Database::Migrate() {
  const auto& migrations = Migrations();
  // Read the version inside the write transaction: two processes opening a
  // new file at once must not both apply migration 1.
  return Transaction([&]() -> Status {
    int have = SchemaVersion();
    if (have > static_cast<int>(migrations.size())) {
      return Internal("schema version " + std::to_string(have) +
                      " is newer than this drover knows (" + std::to_string(migrations.size()) +
                      "): upgrade drover");
    }
    for (size_t v = have; v < migrations.size(); ++v) {
      RETURN_STATUS_IF_ERROR(Exec(migrations[v]));
      RETURN_STATUS_IF_ERROR(Exec("PRAGMA user_version=" + std::to_string(v + 1)));
    }
    return Status::Ok();
  });
}

}  // namespace drover::state
