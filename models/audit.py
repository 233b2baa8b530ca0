"""The append-only audit log of who saw personal data."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.case import Case


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
