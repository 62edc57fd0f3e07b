-- The sensitive payment columns are encrypted at rest (AES-256-GCM under DATA_ENCRYPTION_KEY): customer_id,
-- description, and request_json (which holds the OTP destination and copies of the other two). A value is
-- stored as `enc:v1:<key id>:<base64(nonce | ciphertext | tag)>`, about 4/3 of the plaintext plus 50
-- characters, so the columns widen to hold the longest value the API accepts, sealed.
--
-- SQL cannot encrypt: `payments-admin migrate` then runs the step recorded in schema_data_steps, which
-- encrypts the values written before this migration (see docs/security.md).

ALTER TABLE payments
  MODIFY COLUMN customer_id   VARCHAR(512)  NULL,
  MODIFY COLUMN description   TEXT          NULL,
  MODIFY COLUMN request_json  MEDIUMTEXT    NOT NULL;

CREATE TABLE IF NOT EXISTS schema_data_steps (
  name            VARCHAR(64)  NOT NULL,
  applied_at      DATETIME(6)  NOT NULL,
  values_changed  BIGINT       NOT NULL,
  PRIMARY KEY (name)
) ENGINE = InnoDB;
