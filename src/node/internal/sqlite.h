// A thin RAII layer over the SQLite C API for node/ (the only module that
// knows SQL). Errors become absl::Status values:
//   SQLITE_BUSY / SQLITE_LOCKED           -> Unavailable (another process holds
//                                            the lock past the busy timeout)
//   SQLITE_CORRUPT / NOTADB               -> DataLoss
//   SQLITE_FULL                           -> ResourceExhausted
//   SQLITE_READONLY                       -> FailedPrecondition
//   SQLITE_CONSTRAINT                     -> FailedPrecondition (callers that
//                                            expect one check first)
//   anything else                         -> Internal
// Messages carry SQLite's text, which never contains bound values.
#ifndef LIAISON_NODE_INTERNAL_SQLITE_H_
#define LIAISON_NODE_INTERNAL_SQLITE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "node/clock.h"

struct sqlite3;
struct sqlite3_stmt;

namespace liaison::node::internal {

// Stmt is one prepared statement. Bind indexes are 1-based, column indexes
// 0-based, as in SQLite. Not thread-safe; it lives no longer than its Db.
class Stmt {
 public:
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&&) = delete;
  Stmt(const Stmt&) = delete;
  ~Stmt();

  Stmt& Bind(int index, std::string_view text);
  Stmt& Bind(int index, int64_t value);
  Stmt& BindBlob(int index, ByteSpan blob);
  Stmt& BindNull(int index);

  // Step runs the statement one row further: true if a row is available,
  // false when done. The first bind error, if any, is returned here.
  absl::StatusOr<bool> Step();
  // Run steps the statement to completion, for statements without rows.
  absl::Status Run();
  // Reset makes the statement ready to be bound and run again.
  void Reset();

  std::string Text(int column) const;
  int64_t Int(int column) const;
  Bytes Blob(int column) const;
  bool IsNull(int column) const;

 private:
  friend class Db;
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void NoteBind(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_error_ = 0;
};

// Db owns one SQLite connection. Not thread-safe: Store serialises access.
class Db {
 public:
  // Open opens (and with `create`, creates) the database at `path`, with
  // extended result codes and the given busy timeout.
  static absl::StatusOr<Db> Open(const std::string& path, bool read_only, bool create,
                                 int busy_timeout_ms);
  Db(Db&& other) noexcept;
  Db& operator=(Db&&) = delete;
  Db(const Db&) = delete;
  ~Db();

  // Exec runs one or more statements without parameters or rows.
  absl::Status Exec(std::string_view sql);
  // Prepare compiles one statement.
  absl::StatusOr<Stmt> Prepare(std::string_view sql);
  // Changes returns the rows changed by the last INSERT, UPDATE or DELETE.
  int64_t Changes() const;

  // Error turns the connection's last error into a Status prefixed by `what`.
  absl::Status Error(int rc, std::string_view what) const;

  // clock is the time every row written through this connection is stamped
  // with (the store's, Store::Options::clock); SystemClock() unless set.
  // The clock must outlive the connection.
  Clock& clock() const { return *clock_; }
  void set_clock(Clock& clock) { clock_ = &clock; }
  // NowRfc3339 is clock().Now() as RFC 3339 with milliseconds.
  std::string NowRfc3339() const;

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  Clock* clock_ = &SystemClock();
};

// StatusFromSqlite maps a result code as described at the top of this file.
absl::Status StatusFromSqlite(int rc, std::string_view message);

}  // namespace liaison::node::internal

#endif  // LIAISON_NODE_INTERNAL_SQLITE_H_
