-- Merchants (tenants) and who may act for them. Every payment, refund and idempotency key belongs to one
-- merchant; rows written before this migration belong to merchant `default`. API keys are stored as the
-- SHA-256 of their high-entropy secret, never the secret. One-time codes sent to a destination are counted
-- across payments (per hour), keyed by a keyed hash of the destination, never the destination itself.

CREATE TABLE IF NOT EXISTS api_keys (
  id           VARCHAR(40)   NOT NULL,
  merchant_id  VARCHAR(64)   NOT NULL,
  secret_hash  CHAR(64)      NOT NULL,
  scopes       VARCHAR(255)  NOT NULL,
  rate_limit   INT           NULL,
  created_at   DATETIME(6)   NOT NULL,
  expires_at   DATETIME(6)   NULL,
  revoked_at   DATETIME(6)   NULL,
  PRIMARY KEY (id),
  UNIQUE KEY api_keys_by_secret (secret_hash),
  KEY api_keys_by_merchant (merchant_id)
) ENGINE = InnoDB;

ALTER TABLE payments
  ADD COLUMN merchant_id  VARCHAR(64)  NOT NULL DEFAULT 'default' AFTER id,
  ADD COLUMN api_key_id   VARCHAR(80)  NULL;

ALTER TABLE refunds
  ADD COLUMN merchant_id  VARCHAR(64)  NOT NULL DEFAULT 'default' AFTER payment_id;

ALTER TABLE idempotency_keys
  ADD COLUMN merchant_id  VARCHAR(64)  NOT NULL DEFAULT 'default' FIRST,
  DROP PRIMARY KEY,
  ADD PRIMARY KEY (merchant_id, scope, idempotency_key);

-- The default only carried existing rows over: from here on every writer names the merchant.
ALTER TABLE payments ALTER COLUMN merchant_id DROP DEFAULT;
ALTER TABLE refunds ALTER COLUMN merchant_id DROP DEFAULT;
ALTER TABLE idempotency_keys ALTER COLUMN merchant_id DROP DEFAULT;

ALTER TABLE otp_challenges
  ADD COLUMN destination_hash  CHAR(64)  NULL;

CREATE TABLE IF NOT EXISTS otp_destination_sends (
  destination_hash  CHAR(64)      NOT NULL,
  payment_id        VARCHAR(64)   NOT NULL,
  seq               INT UNSIGNED  NOT NULL,
  sent_at_ms        BIGINT        NOT NULL,
  PRIMARY KEY (payment_id, seq),
  KEY otp_sends_by_destination (destination_hash, sent_at_ms)
) ENGINE = InnoDB;
