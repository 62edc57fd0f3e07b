-- Refunds of a payment. A refund reserves its amount when the worker accepts it (`reserved` = 1); the sum of
-- reserved refunds that are pending or succeeded never exceeds the payment's amount.

CREATE TABLE IF NOT EXISTS refunds (
  id                      VARCHAR(64)   NOT NULL,
  payment_id              VARCHAR(64)   NOT NULL,
  requested_amount        BIGINT        NULL,
  amount                  BIGINT        NOT NULL DEFAULT 0,
  currency                CHAR(3)       NOT NULL,
  reason                  VARCHAR(32)   NULL,
  status                  VARCHAR(16)   NOT NULL,
  reserved                TINYINT       NOT NULL DEFAULT 0,
  version                 INT           NOT NULL DEFAULT 0,
  request_hash            CHAR(64)      NOT NULL,
  stripe_refund_id        VARCHAR(255)  NULL,
  stripe_idempotency_key  VARCHAR(255)  NOT NULL,
  failure_code            VARCHAR(64)   NULL,
  failure_message         VARCHAR(1000) NULL,
  created_at              DATETIME(6)   NOT NULL,
  updated_at              DATETIME(6)   NOT NULL,
  PRIMARY KEY (id),
  KEY refunds_by_payment (payment_id, created_at),
  KEY refunds_by_status (status, updated_at)
) ENGINE = InnoDB;
