#pragma once
// payments-admin dlq: look at what landed in payment-commands-dlq, and replay it once its cause is fixed.

#include "payments/core/config.hpp"

namespace payments::admin {

// argv after "dlq". Returns the process's exit code: 0 done, 1 failed (or nothing matched), 2 usage.
int dlq_command(const ServiceConfig& config, int argc, char** argv);

}  // namespace payments::admin
