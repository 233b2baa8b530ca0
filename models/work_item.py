"""The bad-rating loop (差评处理闭环): a work item per effective bad rating, its append-only
timeline, and the evidence attached to its steps."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.case import Case
from models.enums import WorkItemCloseReason, WorkItemStatus
from models.reference import Department, Region


# 差评工单: opened when a bad rating becomes a case's effective rating, for the unit that
# handled the case (谁办理谁负责); it walks the policy's `workflow` steps and closes when
# the loop ends or the case's effective rating stops being bad. While it is open, that
# department's handlers (and the region's admins) may reveal the rater's full phone number
# to call back, with a reason, audited. region_id and rated_staff_id are the case's, copied
# so that worklists and the "not by the rated staff" check read this row alone.
class WorkItem(Model):
    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="work_items", on_delete=fields.RESTRICT
    )
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="work_items", on_delete=fields.RESTRICT
    )
    region: fields.ForeignKeyNullableRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="work_items", null=True, on_delete=fields.RESTRICT
    )
    rating_id = fields.BigIntField()
    rated_staff_id = fields.IntField(null=True)
    status = fields.CharEnumField(WorkItemStatus, max_length=8, default=WorkItemStatus.OPEN)
    step = fields.CharField(max_length=24, null=True)
    step_started_at = fields.DatetimeField(null=True)
    # Never null, so that worklists page by (due_at, id) with an index: an item whose step
    # has no deadline is due at the store's NO_DEADLINE (9999-12-31), read back as None.
    due_at = fields.DatetimeField()
    overdue = fields.BooleanField(default=False)
    escalated = fields.BooleanField(default=False)
    # When the bad rating was confirmed (经核实): the item first reached rectification, the
    # appeal rejected or never filed. A staff member's tally counts these.
    confirmed_at = fields.DatetimeField(null=True)
    opened_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)
    close_reason = fields.CharEnumField(WorkItemCloseReason, max_length=16, null=True)

    class Meta:
        table = "work_item"
        # Lists of every status page by these; the open worklists' own indexes are partial
        # (status = 'OPEN', in migration 0010), so that closed items, most of them due
        # long ago, are never walked past to reach the open ones.
        indexes = (
            ("case_id", "status"),
            ("rated_staff_id", "confirmed_at"),
            ("department_id", "due_at", "id"),
            ("region_id", "due_at", "id"),
            ("due_at", "id"),
        )


# One row per thing done to a work item (opened, each step's action, the sweep's overdue
# and escalation, closing). Rows are only ever inserted: the database refuses UPDATE and
# DELETE (triggers in migration 0010).
class WorkItemEvent(Model):
    id = fields.BigIntField(primary_key=True)
    work_item: fields.ForeignKeyRelation[WorkItem] = fields.ForeignKeyField(
        "models.WorkItem", related_name="events", on_delete=fields.RESTRICT
    )
    at = fields.DatetimeField()
    actor_role = fields.CharField(max_length=16)
    actor_subject = fields.CharField(max_length=100)
    action = fields.CharField(max_length=24)
    step = fields.CharField(max_length=24, null=True)
    outcome = fields.CharField(max_length=24, null=True)
    note = fields.TextField(null=True)
    evidence_ids = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "work_item_event"
        indexes = (("work_item_id", "id"),)


# A photo or PDF uploaded for a step (an appeal's proof, a rectification's ledger). It is
# uploaded first, then attached to one item by the action that cites it.
class Evidence(Model):
    id = fields.BigIntField(primary_key=True)
    work_item: fields.ForeignKeyNullableRelation[WorkItem] = fields.ForeignKeyField(
        "models.WorkItem", related_name="evidence", null=True, on_delete=fields.RESTRICT
    )
    uploaded_by = fields.CharField(max_length=100)
    file_name = fields.CharField(max_length=120)
    content_type = fields.CharField(max_length=48)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    data = fields.BinaryField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "evidence"
