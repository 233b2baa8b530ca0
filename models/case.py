"""Cases and what groups them: applicants, batches and integrated "one-thing" services.

Personal data of an applicant is never stored in clear: `*_enc` columns hold AES-GCM
ciphertext sealed under the key named in `key_id`, and `id_number_hash` is a keyed hash
(HMAC) so that "my cases" can find an applicant without decrypting anything.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.enums import ApplicantKind, CaseStatus, RatingStatus, ServedVia
from models.reference import Department, Matter, Region, Staff, Window


class Applicant(Model):
    id = fields.BigIntField(primary_key=True)
    id_number_hash = fields.CharField(max_length=64, unique=True)
    kind = fields.CharEnumField(ApplicantKind, max_length=8)
    name_enc = fields.TextField()
    id_number_enc = fields.TextField()
    phone_enc = fields.TextField(null=True)
    # Keyed hash of the phone, so an SMS reply finds its sender without decrypting anyone.
    phone_hash = fields.CharField(max_length=64, null=True, db_index=True)
    key_id = fields.CharField(max_length=32)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "applicant"


# Cases handled together; one rating applies to every case in it.
class Batch(Model):
    id = fields.BigIntField(primary_key=True)
    batch_no = fields.CharField(max_length=64, unique=True)

    class Meta:
        table = "batch"


# A "one-thing" bundle; its member cases point at it.
class IntegratedService(Model):
    id = fields.BigIntField(primary_key=True)
    service_no = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=256)

    class Meta:
        table = "integrated_service"


class Case(Model):
    id = fields.BigIntField(primary_key=True)
    case_no = fields.CharField(max_length=64, unique=True)
    matter: fields.ForeignKeyRelation[Matter] = fields.ForeignKeyField(
        "models.Matter", related_name="cases", on_delete=fields.RESTRICT
    )
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="cases", on_delete=fields.RESTRICT
    )
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="cases", on_delete=fields.RESTRICT
    )
    window: fields.ForeignKeyNullableRelation[Window] = fields.ForeignKeyField(
        "models.Window", related_name="cases", null=True, on_delete=fields.RESTRICT
    )
    staff: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="cases", null=True, on_delete=fields.RESTRICT
    )
    applicant: fields.ForeignKeyRelation[Applicant] = fields.ForeignKeyField(
        "models.Applicant", related_name="cases", on_delete=fields.RESTRICT
    )
    served_via = fields.CharEnumField(ServedVia, max_length=8)
    status = fields.CharEnumField(CaseStatus, max_length=16)
    accepted_at = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)
    batch: fields.ForeignKeyNullableRelation[Batch] = fields.ForeignKeyField(
        "models.Batch", related_name="cases", null=True, on_delete=fields.RESTRICT
    )
    integrated_service: fields.ForeignKeyNullableRelation[IntegratedService] = (
        fields.ForeignKeyField(
            "models.IntegratedService",
            related_name="cases",
            null=True,
            on_delete=fields.RESTRICT,
        )
    )
    updated_at = fields.DatetimeField()
    # Rating state, kept on the case so the sweep and "my cases" filter with one index.
    rating_status = fields.CharEnumField(
        RatingStatus, max_length=12, default=RatingStatus.UNRATED, db_default=RatingStatus.UNRATED
    )
    effective_rating_id = fields.BigIntField(null=True)
    reminded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "case_record"
        indexes = (
            ("applicant_id", "accepted_at", "id"),
            ("department_id", "accepted_at"),
            ("region_id", "accepted_at"),
            ("window_id", "completed_at"),
            ("rating_status", "completed_at"),
            # A rating of a batch or a one-thing service, or one that fans out to the rest of
            # a batch, finds the members by these (a sequential scan at a million cases).
            ("batch_id",),
            ("integrated_service_id",),
        )
