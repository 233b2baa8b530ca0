"""The policies that were published: every version's text with its scenarios (by content
hash), and every activation of one (a publish, an edited file, a rollback), so that the
history, diffs and rollbacks survive restarts and every process sees the same."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


# One row per distinct policy text: its hash (the version's digest), its label (the file's
# `version:`), the text and the scenarios it passed when it was first published.
class PolicyVersion(Model):
    id = fields.IntField(primary_key=True)
    digest = fields.CharField(max_length=64, unique=True)
    label = fields.CharField(max_length=128, default="")
    content = fields.TextField()
    scenarios = fields.TextField()
    effective_from = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "policy_version"


# One row per time a version became the active policy, newest last: who (a staff subject,
# or "file" for the watched file), why (the note), how (FILE, API, ROLLBACK, START).
class PolicyActivation(Model):
    id = fields.IntField(primary_key=True)
    version: fields.ForeignKeyRelation[PolicyVersion] = fields.ForeignKeyField(
        "models.PolicyVersion", related_name="activations", on_delete=fields.RESTRICT
    )
    activated_at = fields.DatetimeField()
    activated_by = fields.CharField(max_length=128)
    note = fields.TextField(default="")
    via = fields.CharField(max_length=16)

    class Meta:
        table = "policy_activation"
