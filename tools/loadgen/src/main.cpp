// payments-loadgen: the load generator behind `make bench` (tools/dev/bench.sh drives it).
//   payments-loadgen run --name N --mode api|kafka [...] --out FILE   one scenario against a running stack
//   payments-loadgen report --out results.json [--svg F] FILES...      the merged report and the table
//   payments-loadgen drop-topics --brokers B --topic-prefix P           delete a run's topics
#include <cstdio>
#include <string_view>

#include "command_line.hpp"
#include "report.hpp"
#include "scenario.hpp"

namespace {

int usage() {
  std::fputs(
      "usage: payments-loadgen run --name NAME --mode api|kafka [--api-port P] [--connections N] [--threads N]\n"
      "                            [--duration-s S] [--rate R] [--count N] [--brokers B] [--topic-prefix P]\n"
      "                            [--track] [--drain-timeout-s S] [--sim-port P] [--worker-metrics-port P]\n"
      "                            [--watch NAME=PID]... [--db-status-cmd CMD] [--no-idempotency-keys]\n"
      "                            [--api-key-file FILE] --out FILE\n"
      "       payments-loadgen report --out results.json [--svg FILE] [--stripe-latency-ms N] [--partitions N] FILES...\n"
      "       payments-loadgen drop-topics --brokers B --topic-prefix P\n",
      stderr);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace payments::loadgen;
  if (argc < 2) return usage();
  const std::string_view command = argv[1];
  if (command == "run") {
    auto args = Arguments::parse(argc, argv, 2, scenario_options(), scenario_flags());
    if (!args) return std::fprintf(stderr, "payments-loadgen: %s\n", args.error().message.c_str()), usage();
    return run_scenario(args.value());
  }
  if (command == "report") {
    auto args = Arguments::parse(argc, argv, 2, report_options(), {});
    if (!args) return std::fprintf(stderr, "payments-loadgen: %s\n", args.error().message.c_str()), usage();
    return write_report(args.value());
  }
  if (command == "drop-topics") {
    auto args = Arguments::parse(argc, argv, 2, {"--brokers", "--topic-prefix"}, {});
    if (!args) return std::fprintf(stderr, "payments-loadgen: %s\n", args.error().message.c_str()), usage();
    return drop_topics(args.value());
  }
  return usage();
}
