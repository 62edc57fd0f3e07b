#pragma once
// `payments-loadgen run`: one scenario against a running stack, written as one JSON document.

#include "command_line.hpp"

namespace payments::loadgen {

// Exit status: 0 fine; 1 bad options or set-up; 3 the simulator's record broke "one charge per payment".
int run_scenario(const Arguments& args);

// Options `run` takes (for Arguments::parse).
const std::set<std::string>& scenario_options();
const std::set<std::string>& scenario_flags();

// `payments-loadgen drop-topics --brokers B --topic-prefix P`: deletes a run's topics.
int drop_topics(const Arguments& args);

}  // namespace payments::loadgen
