#include "support/kafka_acls.hpp"

#include <doctest/doctest.h>
#include <librdkafka/rdkafka.h>

namespace payments::testing {
namespace {

rd_kafka_ResourceType_t resource_type(KafkaAcl::Resource resource) {
  switch (resource) {
    case KafkaAcl::Resource::topic: return RD_KAFKA_RESOURCE_TOPIC;
    case KafkaAcl::Resource::group: return RD_KAFKA_RESOURCE_GROUP;
  }
  return RD_KAFKA_RESOURCE_UNKNOWN;
}

rd_kafka_AclOperation_t operation(KafkaAcl::Operation op) {
  switch (op) {
    case KafkaAcl::Operation::read: return RD_KAFKA_ACL_OPERATION_READ;
    case KafkaAcl::Operation::write: return RD_KAFKA_ACL_OPERATION_WRITE;
  }
  return RD_KAFKA_ACL_OPERATION_UNKNOWN;
}

}  // namespace

std::vector<KafkaAcl> service_acls(const events::TopicNames& topics, const std::string& worker_group,
                                   const std::string& api_user, const std::string& worker_user) {
  using Op = KafkaAcl::Operation;
  using Res = KafkaAcl::Resource;
  const std::string api = "User:" + api_user;
  const std::string worker = "User:" + worker_user;
  std::vector<KafkaAcl> acls{
      // payments-api: writes commands and the verified Stripe events; nothing else.
      {api, Res::topic, topics.commands, Op::write},
      {api, Res::topic, topics.stripe_events, Op::write},
      // payments-worker: reads both input topics in its group; writes every output, and commands again when
      // reconciliation re-sends one.
      {worker, Res::topic, topics.commands, Op::read},
      {worker, Res::topic, topics.commands, Op::write},
      {worker, Res::topic, topics.stripe_events, Op::read},
      {worker, Res::group, worker_group, Op::read},
  };
  for (const auto* topic : {&topics.success, &topics.failed, &topics.refunded, &topics.otp, &topics.commands_dlq}) {
    acls.push_back({worker, Res::topic, *topic, Op::write});
  }
  return acls;
}

void grant_acls(const events::KafkaConnection& admin, const std::vector<KafkaAcl>& acls) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  REQUIRE(rd_kafka_conf_set(conf, "bootstrap.servers", admin.brokers.c_str(), error, sizeof error) == RD_KAFKA_CONF_OK);
  for (const auto& property : admin.client_properties) {
    REQUIRE_MESSAGE(rd_kafka_conf_set(conf, property.name.c_str(), property.value.reveal().c_str(), error,
                                      sizeof error) == RD_KAFKA_CONF_OK,
                    property.variable);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  REQUIRE_MESSAGE(rk != nullptr, error);

  std::vector<rd_kafka_AclBinding_t*> bindings;
  for (const auto& acl : acls) {
    auto* binding = rd_kafka_AclBinding_new(resource_type(acl.resource), acl.name.c_str(),
                                            RD_KAFKA_RESOURCE_PATTERN_LITERAL, acl.principal.c_str(), "*",
                                            operation(acl.operation), RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW, error,
                                            sizeof error);
    REQUIRE_MESSAGE(binding != nullptr, error);
    bindings.push_back(binding);
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateAcls(rk, bindings.data(), bindings.size(), nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30'000);
  std::string failure;
  if (event == nullptr) {
    failure = "CreateAcls got no answer in 30 s";
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    failure = rd_kafka_event_error_string(event);
  } else {
    std::size_t n = 0;
    const auto* created = rd_kafka_event_CreateAcls_result(event);
    const rd_kafka_acl_result_t** results = rd_kafka_CreateAcls_result_acls(created, &n);
    for (std::size_t i = 0; i < n && failure.empty(); ++i) {
      if (const rd_kafka_error_t* e = rd_kafka_acl_result_error(results[i]); e != nullptr) {
        failure = rd_kafka_error_string(e);
      }
    }
    if (n != acls.size() && failure.empty()) failure = "CreateAcls answered for " + std::to_string(n) + " ACLs";
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AclBinding_destroy_array(bindings.data(), bindings.size());
  rd_kafka_destroy(rk);
  REQUIRE_MESSAGE(failure.empty(), failure);
}

}  // namespace payments::testing
