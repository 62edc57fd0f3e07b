#pragma once
// Grants Kafka ACLs through librdkafka's admin API (CreateAcls), as an operator would with kafka-acls: the
// black-box tests grant the README's ACL table for their own topic prefix on the secure broker.

#include <string>
#include <vector>

#include "payments/events/kafka.hpp"

namespace payments::testing {

struct KafkaAcl {
  enum class Resource { topic, group };
  enum class Operation { read, write };  // each implies describe
  std::string principal;  // User:payments-api
  Resource resource = Resource::topic;
  std::string name;       // the exact (literal) topic or group name
  Operation operation = Operation::read;
};

// The README's ACL table ("Kafka ACLs per service") for `topics` and the worker's consumer group.
std::vector<KafkaAcl> service_acls(const events::TopicNames& topics, const std::string& worker_group,
                                   const std::string& api_user, const std::string& worker_user);

// Creates the ACLs as `admin` (a super user); REQUIREs that the broker accepted every one.
void grant_acls(const events::KafkaConnection& admin, const std::vector<KafkaAcl>& acls);

}  // namespace payments::testing
