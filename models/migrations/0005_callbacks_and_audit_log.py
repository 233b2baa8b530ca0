from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import CallbackStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# The audit log is append-only in the database itself, not only by convention in the code.
_APPEND_ONLY = {
    "postgres": [
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    ],
}


async def _append_only(apps, schema_editor):
    client = schema_editor.client
    for statement in _APPEND_ONLY[str(client.capabilities.dialect)]:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [('models', '0004_member_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('action', fields.CharField(max_length=32)),
                ('outcome', fields.CharField(max_length=32)),
                ('actor_role', fields.CharField(max_length=16)),
                ('actor_subject', fields.CharField(max_length=100)),
                ('actor_department_code', fields.CharField(null=True, max_length=64)),
                ('actor_region_code', fields.CharField(null=True, max_length=64)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.RESTRICT)),
                ('case_no', fields.CharField(max_length=64)),
                ('reason', fields.TextField(unique=False)),
            ],
            options={'table': 'audit_log', 'app': 'models', 'indexes': [Index(fields=['case_id', 'at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Callback',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='callbacks', on_delete=OnDelete.RESTRICT)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='callbacks', on_delete=OnDelete.RESTRICT)),
                ('rating_id', fields.BigIntField()),
                ('status', fields.CharEnumField(default=CallbackStatus.OPEN, description='OPEN: OPEN\nCLOSED: CLOSED', enum_type=CallbackStatus, max_length=8)),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'callback', 'app': 'models', 'indexes': [Index(fields=['case_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.RunPython(_append_only),
    ]
