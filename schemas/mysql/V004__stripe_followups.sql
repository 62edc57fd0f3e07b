-- What Stripe tells after the call: a dispute on a payment (charge.dispute.created), and when reconciliation
-- looks next at a payment or refund whose outcome is not settled (next_check_at, backing off with
-- check_count). Index on the Stripe ids so webhook events that carry only those find their payment/refund.

ALTER TABLE payments
  ADD COLUMN dispute_id      VARCHAR(255) NULL,
  ADD COLUMN dispute_status  VARCHAR(32)  NULL,
  ADD COLUMN dispute_reason  VARCHAR(64)  NULL,
  ADD COLUMN dispute_amount  BIGINT       NULL,
  ADD COLUMN disputed_at     DATETIME(6)  NULL,
  ADD COLUMN next_check_at   DATETIME(6)  NULL,
  ADD COLUMN check_count     INT          NOT NULL DEFAULT 0,
  ADD KEY payments_by_intent (stripe_payment_intent_id);

ALTER TABLE refunds
  ADD COLUMN next_check_at  DATETIME(6)  NULL,
  ADD COLUMN check_count    INT          NOT NULL DEFAULT 0,
  ADD KEY refunds_by_stripe_id (stripe_refund_id);
