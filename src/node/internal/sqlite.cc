#include "node/internal/sqlite.h"

#include "node/internal/util.h"

#include <sqlite3.h>

#include <utility>

#include "base/strings.h"

namespace liaison::node::internal {

namespace {

// StoreLabel names the store in messages: "store /srv/alpha/node.db".
std::string StoreLabel(sqlite3* db) {
  const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  return file != nullptr && *file != '\0' ? StrCat("store ", file) : std::string("store");
}

}  // namespace

absl::Status StatusFromSqlite(int rc, std::string_view message) {
  std::string msg(message);
  if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) {
    // Our own file, damaged: not something a peer sent.
    StrAppend(msg, " (SQLite error ", rc,
              ": the store file is damaged or is not a liaison store; restore it from a backup)");
  }
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE: return absl::OkStatus();
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return absl::UnavailableError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return absl::DataLossError(msg);
    case SQLITE_FULL: return absl::ResourceExhaustedError(msg);
    case SQLITE_READONLY:
    case SQLITE_CONSTRAINT: return absl::FailedPreconditionError(msg);
    case SQLITE_CANTOPEN: return absl::NotFoundError(msg);
    case SQLITE_PERM:
    case SQLITE_AUTH: return absl::PermissionDeniedError(msg);
    default: return absl::InternalError(msg);
  }
}

Stmt::Stmt(Stmt&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), bind_error_(other.bind_error_) {}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

void Stmt::NoteBind(int rc) {
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

Stmt& Stmt::Bind(int index, std::string_view text) {
  NoteBind(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8));
  return *this;
}

Stmt& Stmt::Bind(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Stmt& Stmt::BindBlob(int index, ByteSpan blob) {
  static const uint8_t kEmpty = 0;
  NoteBind(sqlite3_bind_blob64(stmt_, index, blob.empty() ? &kEmpty : blob.data(), blob.size(),
                               SQLITE_TRANSIENT));
  return *this;
}

Stmt& Stmt::BindNull(int index) {
  NoteBind(sqlite3_bind_null(stmt_, index));
  return *this;
}

absl::StatusOr<bool> Stmt::Step() {
  if (bind_error_ != 0) {
    return StatusFromSqlite(bind_error_, StrCat("binding a parameter: ",
                                                sqlite3_errstr(bind_error_)));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return StatusFromSqlite(rc, StrCat(StoreLabel(db_), ": ", sqlite3_errmsg(db_)));
}

absl::Status Stmt::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

std::string Stmt::Text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  if (p == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}

int64_t Stmt::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

Bytes Stmt::Blob(int column) const {
  const void* p = sqlite3_column_blob(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  if (p == nullptr || n <= 0) return Bytes();
  const uint8_t* b = static_cast<const uint8_t*>(p);
  return Bytes(b, b + n);
}

bool Stmt::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

absl::StatusOr<Db> Db::Open(const std::string& path, bool read_only, bool create,
                            int busy_timeout_ms) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE;
    if (create) flags |= SQLITE_OPEN_CREATE;
  }
  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
  Db db(handle);
  if (rc != SQLITE_OK) {
    std::string msg = handle != nullptr ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
    return StatusFromSqlite(rc, StrCat("cannot open the store ", path, ": ", msg));
  }
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, busy_timeout_ms);
  return db;
}

Db::Db(Db&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), clock_(other.clock_) {}

std::string Db::NowRfc3339() const { return Rfc3339At(clock_->Now()); }

Db::~Db() {
  // All statements are finalised by their owners first; close_v2 defers the
  // close otherwise instead of failing.
  sqlite3_close_v2(db_);
}

absl::Status Db::Exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return absl::OkStatus();
  std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return StatusFromSqlite(rc, StrCat(StoreLabel(db_), ": ", msg));
}

absl::StatusOr<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "preparing a statement");
  return Stmt(db_, stmt);
}

int64_t Db::Changes() const { return sqlite3_changes64(db_); }

absl::Status Db::Error(int rc, std::string_view what) const {
  return StatusFromSqlite(rc, StrCat(StoreLabel(db_), ": ", what, ": ", sqlite3_errmsg(db_)));
}

}  // namespace liaison::node::internal
