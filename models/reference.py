"""Reference data: regions, departments, halls, windows, staff and catalogued matters."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.enums import MatterType


# An administrative area (province … community); `parent` builds the tree.
class Region(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=128)
    parent: fields.ForeignKeyNullableRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="children", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "region"


# The unit responsible for a case (谁办理谁负责).
class Department(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=128)
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="departments", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "department"


class Hall(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=128)
    region: fields.ForeignKeyNullableRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="halls", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "hall"


class Window(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=128)
    hall: fields.ForeignKeyNullableRelation[Hall] = fields.ForeignKeyField(
        "models.Hall", related_name="windows", null=True, on_delete=fields.RESTRICT
    )
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="windows", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "service_window"


class Staff(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=64)
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="staff", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "staff"


class Matter(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=256)
    type = fields.CharEnumField(MatterType, max_length=16)

    class Meta:
        table = "matter"


# The windows a staff member serves at (a member may serve several, a window have several).
class StaffWindow(Model):
    id = fields.IntField(primary_key=True)
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="window_links", on_delete=fields.CASCADE
    )
    window: fields.ForeignKeyRelation[Window] = fields.ForeignKeyField(
        "models.Window", related_name="staff_links", on_delete=fields.CASCADE
    )

    class Meta:
        table = "staff_window"
        unique_together = (("staff", "window"),)
