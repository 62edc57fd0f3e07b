#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "payments/events/event_publisher.hpp"
#include "payments/events/kafka.hpp"
#include "rdkafka_conf.hpp"

namespace payments::events {

namespace {

// Owns the per-message callback from produce() until its delivery report arrives.
struct PendingDelivery {
  Producer::DeliveryCallback callback;
};

using Clock = std::chrono::steady_clock;

class DeliveryReports final : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() == RdKafka::ERR_NO_ERROR) last_delivered_.store(Clock::now().time_since_epoch().count());
    std::unique_ptr<PendingDelivery> pending(static_cast<PendingDelivery*>(message.msg_opaque()));
    if (!pending || !pending->callback) return;
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      pending->callback(Ok{});
    } else {
      Status failed = detail::kafka_error("Kafka did not accept the message", message.err());
      if (message.status() == RdKafka::Message::MSG_STATUS_POSSIBLY_PERSISTED) {
        Error error = std::move(failed).error();
        error.code = ErrorCode::unavailable;
        error.field = std::string(kPossiblyWritten);
        failed = std::move(error);
      }
      pending->callback(std::move(failed));
    }
  }
  // When the broker last acknowledged a message of this producer (never: the clock's epoch).
  [[nodiscard]] Clock::time_point last_delivered() const {
    return Clock::time_point(Clock::duration(last_delivered_.load()));
  }

 private:
  std::atomic<Clock::rep> last_delivered_{0};
};

}  // namespace

struct Producer::Impl {
  std::string brokers;
  DeliveryReports reports;
  std::unique_ptr<RdKafka::Producer> producer;
  std::atomic<bool> running{true};
  std::thread poller;

  ~Impl() {
    running = false;
    if (poller.joinable()) poller.join();
    if (producer) producer->flush(5'000);
  }
};

Result<std::unique_ptr<Producer>> Producer::create(const ProducerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->brokers = options.brokers;
  detail::Properties properties{
      {"bootstrap.servers", options.brokers},
      {"client.id", options.client_id},
      {"enable.idempotence", "true"},  // implies acks=all and ordered, deduplicated retries
      {"linger.ms", std::to_string(options.linger_ms)},
      {"delivery.timeout.ms", std::to_string(options.delivery_timeout.count())},
      {"compression.type", "lz4"},
  };
  properties.insert(properties.end(), options.extra.begin(), options.extra.end());
  auto conf = detail::make_conf(properties, options.client_properties);
  if (!conf) return std::move(conf).error();
  std::string error;
  if (conf.value()->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(&impl->reports), error) !=
      RdKafka::Conf::CONF_OK) {
    return Error::internal("librdkafka refused dr_cb: " + error);
  }
  impl->producer.reset(RdKafka::Producer::create(conf.value().get(), error));
  if (!impl->producer) {
    return Error::internal("cannot create Kafka producer: " + detail::name_variable(error, options.client_properties));
  }
  auto* raw = impl.get();
  impl->poller = std::thread([raw] {
    while (raw->running) raw->producer->poll(50);
  });
  return std::unique_ptr<Producer>(new Producer(std::move(impl)));
}

Producer::Producer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Producer::~Producer() = default;

void Producer::produce(OutgoingMessage message, DeliveryCallback on_delivery) {
  RdKafka::Headers* headers = RdKafka::Headers::create();
  for (const auto& [name, value] : message.headers) headers->add(name, value.data(), value.size());
  auto pending = std::make_unique<PendingDelivery>(PendingDelivery{std::move(on_delivery)});
  const auto code = impl_->producer->produce(
      message.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY, message.value.data(),
      message.value.size(), message.key.data(), message.key.size(), 0, headers, pending.get());
  if (code != RdKafka::ERR_NO_ERROR) {
    delete headers;  // on failure librdkafka leaves the headers with the caller
    pending->callback(detail::kafka_error("Kafka refused the message", code));
    return;
  }
  pending.release();  // owned by the delivery report from here on
}

Status Producer::produce_and_wait(OutgoingMessage message) {
  std::promise<Status> done;
  auto future = done.get_future();
  produce(std::move(message), [&done](Status status) { done.set_value(std::move(status)); });
  return future.get();
}

bool Producer::flush(std::chrono::milliseconds timeout) {
  return impl_->producer->flush(static_cast<int>(timeout.count())) == RdKafka::ERR_NO_ERROR;
}

Status Producer::health(std::chrono::milliseconds timeout) {
  // A delivery report is the broker's own word, and costs nothing to read: under load no request is added.
  constexpr auto kFresh = std::chrono::seconds(1);
  if (Clock::now() - impl_->reports.last_delivered() < kFresh) return Ok{};
  // Otherwise a metadata request over this producer's connections (librdkafka sends it to a broker it is
  // connected to, and fails when none answers within the timeout).
  RdKafka::Metadata* answer = nullptr;
  const auto code = impl_->producer->metadata(false, nullptr, &answer, static_cast<int>(timeout.count()));
  const std::unique_ptr<RdKafka::Metadata> owned(answer);
  if (code == RdKafka::ERR_NO_ERROR) return Ok{};
  return Error::unavailable("Kafka unreachable at " + impl_->brokers + ": " + RdKafka::err2str(code));
}

}  // namespace payments::events
