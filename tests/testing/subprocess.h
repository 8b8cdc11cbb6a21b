// Running the liaison binary as a real process from end-to-end tests.
#ifndef LIAISON_TESTS_TESTING_SUBPROCESS_H_
#define LIAISON_TESTS_TESTING_SUBPROCESS_H_

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace liaison::testing {

struct ProcessResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;
  std::string err;
};

inline std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Process runs `argv` with stdout and stderr sent to files under `scratch`.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& scratch) {
    static int counter = 0;
    std::string base = scratch + "/proc" + std::to_string(++counter) + "_" + std::to_string(getpid());
    out_path_ = base + ".out";
    err_path_ = base + ".err";
    pid_ = fork();
    if (pid_ == 0) {
      int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(out, 1);
      dup2(err, 2);
      int devnull = open("/dev/null", O_RDONLY);
      dup2(devnull, 0);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() {
    if (pid_ > 0 && !waited_) {
      kill(pid_, SIGKILL);
      Wait();
    }
  }

  void Kill(int sig = SIGKILL) { kill(pid_, sig); }

  // WaitFor waits up to `ms` milliseconds for the process to exit and
  // returns its result, or nullopt if it is still running.
  std::optional<ProcessResult> WaitFor(int ms) {
    for (int waited = 0; waited <= ms; waited += 20) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) return Collect(status);
      usleep(20 * 1000);
    }
    return std::nullopt;
  }

  ProcessResult Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    return Collect(status);
  }

 private:
  ProcessResult Collect(int status) {
    ProcessResult r;
    waited_ = true;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadFileOrEmpty(out_path_);
    r.err = ReadFileOrEmpty(err_path_);
    return r;
  }

  pid_t pid_ = -1;
  bool waited_ = false;
  std::string out_path_, err_path_;
};

inline ProcessResult Run(const std::vector<std::string>& argv, const std::string& scratch) {
  Process p(argv, scratch);
  return p.Wait();
}

// WriteFile replaces the file at `path` with `text`.
inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

// FreePort returns a loopback TCP port nothing listens on right now, from
// below Linux's ephemeral range (32768 and up), so that no outgoing
// connection of any test can take it before the caller binds it; another
// test choosing the same port at the same moment remains possible, and
// unlikely.
inline uint16_t FreePort() {
  static std::atomic<uint32_t> counter{0};
  uint32_t state = static_cast<uint32_t>(getpid()) * 2654435761u ^
                   static_cast<uint32_t>(time(nullptr)) ^ (counter.fetch_add(1) * 40503u);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    state = state * 1664525u + 1013904223u;
    const uint16_t port = static_cast<uint16_t>(20000 + (state >> 8) % 12000);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    close(fd);
    if (free) return port;
  }
  return 0;
}

#ifdef LIAISON_BINARY_DIR
// kLiaisonBinary is the liaison binary of this build.
inline const std::string kLiaisonBinary = std::string(LIAISON_BINARY_DIR) + "/src/cli/liaison";

// RunLiaison runs `liaison args...` to completion, its output under `scratch`.
inline ProcessResult RunLiaison(const std::vector<std::string>& args, const std::string& scratch) {
  std::vector<std::string> argv = {kLiaisonBinary};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, scratch);
}
#endif

}  // namespace liaison::testing

#endif  // LIAISON_TESTS_TESTING_SUBPROCESS_H_
