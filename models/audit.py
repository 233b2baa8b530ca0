"""Callbacks on bad ratings and the append-only audit log of who saw personal data."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.case import Case
from models.enums import CallbackCloseReason, CallbackStatus
from models.reference import Department


# 回访: opened when a bad rating becomes a case's effective rating, for the case's
# department; closed when the case's effective rating stops being bad. While one is open,
# that department's handlers (and the region's admins) may reveal the rater's full phone
# number to call back, with a reason, audited.
class Callback(Model):
    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="callbacks", on_delete=fields.RESTRICT
    )
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="callbacks", on_delete=fields.RESTRICT
    )
    rating_id = fields.BigIntField()
    status = fields.CharEnumField(CallbackStatus, max_length=8, default=CallbackStatus.OPEN)
    opened_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)
    close_reason = fields.CharEnumField(CallbackCloseReason, max_length=16, null=True)

    class Meta:
        table = "callback"
        indexes = (("case_id", "status"),)


# One row per access to personal data (and per refused attempt), and per reminder call
# recorded. Rows are only ever inserted: the database refuses UPDATE and DELETE (triggers
# in migration 0005).
class AuditEntry(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField()
    action = fields.CharField(max_length=32)
    outcome = fields.CharField(max_length=32)
    actor_role = fields.CharField(max_length=16)
    actor_subject = fields.CharField(max_length=100)
    actor_department_code = fields.CharField(max_length=64, null=True)
    actor_region_code = fields.CharField(max_length=64, null=True)
    case: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="audit_entries", null=True, on_delete=fields.RESTRICT
    )
    case_no = fields.CharField(max_length=64)
    reason = fields.TextField()

    class Meta:
        table = "audit_log"
        indexes = (("case_id", "at"),)
