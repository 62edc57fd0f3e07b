-- Payments, the commands already applied to them, and the events they owe downstream.
-- Amounts are BIGINT minor units. No column ever holds a card number, a CVC or a one-time code.

CREATE TABLE IF NOT EXISTS payments (
  id                        VARCHAR(64)   NOT NULL,
  order_id                  VARCHAR(255)  NOT NULL,
  amount                    BIGINT        NOT NULL,
  currency                  CHAR(3)       NOT NULL,
  payment_method            VARCHAR(255)  NOT NULL,
  customer_id               VARCHAR(255)  NULL,
  description               VARCHAR(1000) NULL,
  request_json              TEXT          NOT NULL,
  status                    VARCHAR(32)   NOT NULL,
  version                   INT           NOT NULL DEFAULT 0,
  request_hash              CHAR(64)      NOT NULL,
  stripe_payment_intent_id  VARCHAR(255)  NULL,
  stripe_idempotency_key    VARCHAR(255)  NULL,
  failure_code              VARCHAR(64)   NULL,
  failure_decline_code      VARCHAR(64)   NULL,
  failure_message           VARCHAR(1000) NULL,
  next_action_url           VARCHAR(2048) NULL,
  amount_refunded           BIGINT        NOT NULL DEFAULT 0,
  created_at                DATETIME(6)   NOT NULL,
  updated_at                DATETIME(6)   NOT NULL,
  PRIMARY KEY (id),
  KEY payments_by_status (status, updated_at),
  KEY payments_by_order (order_id)
) ENGINE = InnoDB;

CREATE TABLE IF NOT EXISTS idempotency_keys (
  scope            VARCHAR(64)   NOT NULL,
  idempotency_key  VARCHAR(255)  NOT NULL,
  request_hash     CHAR(64)      NOT NULL,
  resource_id      VARCHAR(64)   NOT NULL,
  response_status  INT           NOT NULL,
  response_body    TEXT          NOT NULL,
  created_at       DATETIME(6)   NOT NULL,
  PRIMARY KEY (scope, idempotency_key),
  KEY idempotency_keys_by_age (created_at)
) ENGINE = InnoDB;

CREATE TABLE IF NOT EXISTS processed_commands (
  command_id    VARCHAR(64)  NOT NULL,
  payment_id    VARCHAR(64)  NOT NULL,
  command_type  VARCHAR(32)  NOT NULL,
  outcome       VARCHAR(255) NOT NULL,
  processed_at  DATETIME(6)  NOT NULL,
  PRIMARY KEY (command_id),
  KEY processed_commands_by_payment (payment_id)
) ENGINE = InnoDB;

CREATE TABLE IF NOT EXISTS outbox_events (
  event_id      VARCHAR(64)  NOT NULL,
  payment_id    VARCHAR(64)  NOT NULL,
  topic         VARCHAR(64)  NOT NULL,
  payload       TEXT         NOT NULL,
  created_at    DATETIME(6)  NOT NULL,
  published_at  DATETIME(6)  NULL,
  PRIMARY KEY (event_id),
  KEY outbox_unpublished (published_at, created_at)
) ENGINE = InnoDB;
