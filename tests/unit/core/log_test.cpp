#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <unistd.h>

#include "payments/core/log.hpp"

using namespace payments;

namespace {
// Captures what a call writes to stderr.
template <typename F>
std::string capture_stderr(F&& write) {
  std::fflush(stderr);
  char path[] = "/tmp/payments-log-XXXXXX";
  const int fd = mkstemp(path);
  const int saved = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  write();
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string out;
  char buf[4096];
  lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  close(fd);
  unlink(path);
  return out;
}
}  // namespace

TEST_CASE("a log line is one JSON object with escaped fields") {
  log::set_level(LogLevel::info);
  auto line = capture_stderr([] { log::info("payment accepted", {{"payment_id", "pay_1"}, {"note", "a\"b\nc"}}); });
  CHECK(line.find("\"level\":\"info\"") != std::string::npos);
  CHECK(line.find("\"msg\":\"payment accepted\"") != std::string::npos);
  CHECK(line.find("\"payment_id\":\"pay_1\"") != std::string::npos);
  CHECK(line.find("\"note\":\"a\\\"b\\nc\"") != std::string::npos);
  CHECK(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
}

TEST_CASE("lines below the level are dropped") {
  log::set_level(LogLevel::warn);
  CHECK(capture_stderr([] { log::info("quiet"); }).empty());
  CHECK_FALSE(capture_stderr([] { log::error("loud"); }).empty());
  log::set_level(LogLevel::info);
}
