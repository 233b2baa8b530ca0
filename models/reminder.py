"""Reminder calls (提醒电话): the department's to-do of calling people who have not rated."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.case import Case
from models.enums import CallOutcome, ReminderCallReason, ReminderCallStatus
from models.reference import Department


# Opened by the sweep for the case's department (各级政务服务部门…致电提醒), at most one
# per case. No phone is copied here: staff reveal it from the applicant, audited, while the
# call is open.
class ReminderCall(Model):
    id = fields.BigIntField(primary_key=True)
    case: fields.OneToOneRelation[Case] = fields.OneToOneField(
        "models.Case", related_name="reminder_call", on_delete=fields.RESTRICT
    )
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="reminder_calls", on_delete=fields.RESTRICT
    )
    reason = fields.CharEnumField(ReminderCallReason, max_length=12)
    status = fields.CharEnumField(ReminderCallStatus, max_length=8, default=ReminderCallStatus.OPEN)
    attempts = fields.IntField(default=0, db_default=0)
    last_outcome = fields.CharEnumField(CallOutcome, max_length=12, null=True)
    opened_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "reminder_call"
        indexes = (
            # A department's open calls, oldest first (reminderCalls for its handlers).
            ("department_id", "status", "opened_at"),
            # Every open call, oldest first: a region's admins, and the sweep's cancelling.
            ("status", "opened_at"),
        )
