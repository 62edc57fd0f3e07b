#pragma once
// `payments-loadgen report`: merges the scenario documents of one `make bench` run with a description of
// the machine into results.json, prints the human table, checks the targets, and draws a small SVG.

#include <set>
#include <string>

#include "command_line.hpp"

namespace payments::loadgen {

// `value` with `decimals` digits after the point, as JSON accepts it.
std::string fixed(double value, int decimals = 3);

// Exit status: 0 written (targets missed are reported, not failed); 1 unreadable input; 3 a scenario's
// charge check failed.
int write_report(const Arguments& args);
const std::set<std::string>& report_options();

}  // namespace payments::loadgen
