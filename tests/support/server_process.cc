#include "tests/support/server_process.h"

#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cstring>
#include <filesystem>
#include <thread>

namespace cdp::testing {
namespace {

using Clock = std::chrono::steady_clock;

int ExitCodeOf(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

// Forks and execs the cdp binary with stdout (and optionally stderr) on a new pipe.
Result<pid_t> Spawn(const std::vector<std::string>& args, bool capture_stderr, int* read_fd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return IoError("pipe failed");
  const std::string binary = CdpBinaryPath();
  std::vector<std::string> argv_strings;
  argv_strings.push_back(binary);
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return IoError("fork failed");
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    if (capture_stderr) ::dup2(fds[1], STDERR_FILENO);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  *read_fd = fds[0];
  return pid;
}

// Reads what is available on `fd` within `wait`; false at end of file.
bool ReadSome(int fd, std::string* out, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(wait.count()));
  if (ready <= 0) return true;
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof(buf));
  if (n <= 0) return false;
  out->append(buf, static_cast<std::size_t>(n));
  return true;
}

}  // namespace

std::string CdpBinaryPath() { return CDP_BINARY_PATH; }

std::string FreshTestDirectory(std::string_view prefix) {
  namespace fs = std::filesystem;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path dir =
      fs::temp_directory_path() / ("cdp_" + std::string(prefix) + "_" + std::to_string(::getpid()) +
                                   "_" + (info != nullptr ? info->name() : "suite"));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

Result<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& data_dir, const std::vector<std::string>& extra_args,
    std::chrono::milliseconds timeout) {
  std::vector<std::string> args = {"serve", "--data", data_dir, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::unique_ptr<ServerProcess> process(new ServerProcess());
  CDP_ASSIGN_OR_RETURN(process->pid_, Spawn(args, /*capture_stderr=*/false, &process->stdout_fd_));
  const auto deadline = Clock::now() + timeout;
  constexpr std::string_view kMarker = "listening on http://127.0.0.1:";
  while (Clock::now() < deadline) {
    const std::size_t at = process->output_.find(kMarker);
    if (at != std::string::npos) {
      const std::size_t start = at + kMarker.size();
      const std::size_t end = process->output_.find('\n', start);
      if (end != std::string::npos) {
        process->port_ =
            static_cast<std::uint16_t>(std::stoi(process->output_.substr(start, end - start)));
        return process;
      }
    }
    if (!ReadSome(process->stdout_fd_, &process->output_, std::chrono::milliseconds(100))) {
      auto code = process->Wait(std::chrono::seconds(5));
      return UnavailableError("cdp serve exited before listening (exit " +
                              (code.ok() ? std::to_string(*code) : std::string("?")) +
                              "): " + process->output_);
    }
  }
  return UnavailableError("cdp serve did not listen in time: " + process->output_);
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && !exited_) {
    ::kill(pid_, SIGKILL);
    int wstatus = 0;
    ::waitpid(pid_, &wstatus, 0);
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

void ServerProcess::Signal(int signal_number) {
  if (pid_ > 0 && !exited_) ::kill(pid_, signal_number);
}

Result<int> ServerProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int wstatus = 0;
    const pid_t r = ::waitpid(pid_, &wstatus, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      return ExitCodeOf(wstatus);
    }
    if (r < 0) return IoError("waitpid failed");
    if (Clock::now() >= deadline) return UnavailableError("the server did not exit in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<int> RunCdp(const std::vector<std::string>& args, std::string* output,
                   std::chrono::milliseconds timeout) {
  int fd = -1;
  CDP_ASSIGN_OR_RETURN(pid_t pid, Spawn(args, /*capture_stderr=*/true, &fd));
  const auto deadline = Clock::now() + timeout;
  bool open = true;
  while (open && Clock::now() < deadline) {
    open = ReadSome(fd, output, std::chrono::milliseconds(100));
  }
  ::close(fd);
  while (true) {
    int wstatus = 0;
    const pid_t r = ::waitpid(pid, &wstatus, WNOHANG);
    if (r == pid) return ExitCodeOf(wstatus);
    if (Clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &wstatus, 0);
      return UnavailableError("cdp did not finish in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace cdp::testing
