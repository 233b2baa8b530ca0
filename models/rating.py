"""Ratings: one row per case a rating applies to (a batch or one-thing rating fans out),
the history kept whole; idempotency keys; the SMS outbox; evaluator-pad pairings."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.case import Case
from models.enums import Channel, OutboxStatus
from models.reference import Window


# One rating of one case. `act_id` groups the rows written by one submission; `effective`
# marks the row that counts for the case now (at most one per case).
class Rating(Model):
    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="ratings", on_delete=fields.RESTRICT
    )
    act_id = fields.CharField(max_length=36, db_index=True)
    target = fields.CharField(max_length=24)
    level = fields.SmallIntField()
    category = fields.CharField(max_length=12)
    tags = fields.TextField()
    comment = fields.TextField(null=True)
    channel = fields.CharEnumField(Channel, max_length=8)
    rater_role = fields.CharField(max_length=16)
    rater_key = fields.CharField(max_length=100, null=True)
    rated_at = fields.DatetimeField()
    effective = fields.BooleanField()
    held_for_review = fields.BooleanField(default=False)
    # What an upheld appeal made of this rating (the policy's `appeal_upheld`): not_counted,
    # revoked or recorded_unrated; statistics leave such a rating out accordingly.
    appeal_upheld = fields.CharField(max_length=16, null=True)
    # An admin's review of a held rating (burst hold, or a comment with a listed word):
    # APPROVED or REJECTED, by whom and when; a rejected comment is never published.
    moderation = fields.CharField(max_length=8, null=True)
    moderated_by = fields.CharField(max_length=100, null=True)
    moderated_at = fields.DatetimeField(null=True)
    rules_version = fields.CharField(max_length=100)
    fired_rules = fields.TextField()

    class Meta:
        table = "rating"
        # Also idx_rating_held, on case_id WHERE held_for_review (migration 0007, in SQL:
        # Tortoise writes the condition as `= true`, which SQLite cannot match to a query).
        indexes = (("case_id", "rated_at"),)


# The first answer to (rater, clientRequestId), replayed to retries.
class RatingRequest(Model):
    id = fields.BigIntField(primary_key=True)
    rater_key = fields.CharField(max_length=100)
    client_request_id = fields.CharField(max_length=64)
    response = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "rating_request"
        unique_together = (("rater_key", "client_request_id"),)


# SMS waiting to be sent, sent or given up; one per case and purpose.
class SmsMessage(Model):
    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="sms", null=True, on_delete=fields.RESTRICT
    )
    purpose = fields.CharField(max_length=24)
    phone_enc = fields.TextField()
    key_id = fields.CharField(max_length=32)
    body = fields.TextField()
    status = fields.CharEnumField(OutboxStatus, max_length=8, default=OutboxStatus.PENDING)
    attempts = fields.SmallIntField(default=0)
    next_attempt_at = fields.DatetimeField()
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "sms_outbox"
        unique_together = (("case_id", "purpose"),)
        indexes = (("status", "next_attempt_at"),)


# An evaluator pad paired to its window: the device credential's hash, never the
# credential. It lasts long (HCP_PAD_DAYS) and hall staff revoke it at once (revoked_at).
class PadSession(Model):
    id = fields.BigIntField(primary_key=True)
    window: fields.ForeignKeyRelation[Window] = fields.ForeignKeyField(
        "models.Window", related_name="pads", on_delete=fields.RESTRICT
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    paired_by = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    label = fields.CharField(max_length=64, default="")
    revoked_at = fields.DatetimeField(null=True)
    revoked_by = fields.CharField(max_length=64, null=True)
    last_seen_at = fields.DatetimeField(null=True)

    class Meta:
        table = "pad_session"


# A short pairing code hall staff show a pad (typed or scanned): its keyed hash, single use,
# short-lived; burnt after too many wrong tries. At most one unused code per window.
class PadPairingCode(Model):
    id = fields.BigIntField(primary_key=True)
    window: fields.ForeignKeyRelation[Window] = fields.ForeignKeyField(
        "models.Window", related_name="pairing_codes", on_delete=fields.RESTRICT
    )
    code_hash = fields.CharField(max_length=64)
    created_by = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    failed_attempts = fields.SmallIntField(default=0)
    label = fields.CharField(max_length=64, null=True)  # the pad's name, if staff gave one

    class Meta:
        table = "pad_pairing_code"
        indexes = (("window_id", "used_at"),)
