// payments-api: the REST API service (see service.hpp), with authentication as configured.
#include "service.hpp"

int main() { return payments::api::run_api_service({}); }
