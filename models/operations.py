"""Operations state kept in the database so every process and host sees it: the deadline
sweep's last run, and the custody record of the data keys."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


# One row per background job (today only "deadlines"): when a pass last started and
# completed, on which process, and what it did. /healthz and `hcp doctor` read it.
class JobRun(Model):
    name = fields.CharField(max_length=32, primary_key=True)
    holder = fields.CharField(max_length=128)
    started_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    interval_seconds = fields.FloatField()
    report = fields.TextField(default="{}")

    class Meta:
        table = "job_run"


# An operator's statement that a second copy of a data key is kept safe (key custody):
# the key id and a fingerprint of the key (never the key), who said so and when.
class KeyCustody(Model):
    id = fields.IntField(primary_key=True)
    key_id = fields.CharField(max_length=32)
    fingerprint = fields.CharField(max_length=64)
    acknowledged_by = fields.CharField(max_length=64)
    acknowledged_at = fields.DatetimeField()
    note = fields.TextField(default="")

    class Meta:
        table = "key_custody"
        unique_together = (("key_id", "fingerprint"),)
