#pragma once
// payments-admin api-keys: create, list and revoke the API keys callers authenticate with.

#include "payments/core/config.hpp"

namespace payments::admin {

// argv after "api-keys". Returns the process's exit code: 0 done, 1 failed, 2 usage.
int api_keys_command(const ServiceConfig& config, int argc, char** argv);

}  // namespace payments::admin
