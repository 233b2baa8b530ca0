from tortoise import migrations
from tortoise.migrations import operations as ops

# The reference lists (services/reference.py) walk the region tree by parent and join
# windows, staff and halls by their references: neither database indexes a foreign key by
# itself, and a district's few thousand rows were read whole at every level of the walk.
_INDEXES = [
    ("idx_region_parent", "region", "parent_id"),
    ("idx_department_region", "department", "region_id"),
    ("idx_hall_region", "hall", "region_id"),
    ("idx_window_hall", "service_window", "hall_id"),
    ("idx_window_department", "service_window", "department_id"),
    ("idx_staff_department", "staff", "department_id"),
    ("idx_staff_window_window", "staff_window", "window_id"),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0008_operations_and_staff_windows")]

    initial = False

    operations = [
        ops.RunSQL(f"CREATE INDEX {name} ON {table} ({column})", reverse_sql=f"DROP INDEX {name}")
        for name, table, column in _INDEXES
    ]
