// RawDb opens a node store with the plain SQLite API, as an attacker or a
// curious administrator with the file would, to inspect or tamper with it.
#ifndef LIAISON_TESTS_NODE_TESTING_RAW_DB_H_
#define LIAISON_TESTS_NODE_TESTING_RAW_DB_H_

#include <sqlite3.h>

#include <string>

#include "gtest/gtest.h"

namespace liaison::node::testing {

class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) ADD_FAILURE() << "cannot open " << path;
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // Exec runs `sql`, failing the test on an error.
  void Exec(const std::string& sql) {
    std::string err = TryExec(sql);
    EXPECT_EQ(err, "") << sql;
  }

  // TryExec runs `sql` and returns SQLite's error message, "" on success.
  std::string TryExec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = rc == SQLITE_OK ? "" : (err != nullptr ? err : "error");
    sqlite3_free(err);
    return msg;
  }

  // QueryText returns the first column of the first row as text ("" if none).
  std::string QueryText(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sqlite3_errmsg(db_) << " in " << sql;
      return "";
    }
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return out;
  }

  // Unprotect drops the append-only triggers of audit_log, as an attacker
  // with write access to the file can.
  void Unprotect() {
    Exec("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;");
  }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace liaison::node::testing

#endif  // LIAISON_TESTS_NODE_TESTING_RAW_DB_H_
