#pragma once
// stripe-sim's flags.

#include <string>
#include <vector>

#include "payments/core/result.hpp"
#include "sim_server.hpp"

namespace payments::stripe_sim {

// Accepts `--flag value` and `--flag=value`. The error's field names the flag.
Result<SimConfig> parse_command_line(const std::vector<std::string>& args);
std::string usage();

}  // namespace payments::stripe_sim
