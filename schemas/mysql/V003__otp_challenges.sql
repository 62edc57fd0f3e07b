-- One-time-code challenges of payments created with an `otp` object. Only a keyed hash (HMAC-SHA256 under
-- OTP_SECRET, bound to the payment and the code's sequence number) is stored, never the code. Times are
-- Unix epoch milliseconds (UTC).

CREATE TABLE IF NOT EXISTS otp_challenges (
  payment_id          VARCHAR(64)   NOT NULL,
  code_hash           CHAR(64)      NOT NULL,
  seq                 INT UNSIGNED  NOT NULL,
  delivered_seq       INT UNSIGNED  NOT NULL DEFAULT 0,
  issued_at_ms        BIGINT        NOT NULL,
  expires_at_ms       BIGINT        NOT NULL,
  last_sent_at_ms     BIGINT        NOT NULL,
  attempts_left       INT           NOT NULL,
  resends_used        INT           NOT NULL,
  max_resends         INT           NOT NULL,
  state               VARCHAR(16)   NOT NULL,
  channel             VARCHAR(16)   NOT NULL,
  destination_masked  VARCHAR(64)   NOT NULL,
  last_result         VARCHAR(64)   NULL,
  version             INT           NOT NULL DEFAULT 0,
  updated_at          DATETIME(6)   NOT NULL,
  PRIMARY KEY (payment_id),
  KEY otp_challenges_due (state, expires_at_ms)
) ENGINE = InnoDB;
