from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# job_run: the deadline sweep's last pass, read by /healthz and `hcp doctor` on every
# process. key_custody: operators' statements that a data key has a second copy.
# staff_window: the windows a staff member serves at (reference data import).
class Migration(migrations.Migration):
    dependencies = [('models', '0007_callback_close_and_held')]

    initial = False

    operations = [
        ops.CreateModel(
            name='JobRun',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('holder', fields.CharField(max_length=128)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('interval_seconds', fields.FloatField()),
                ('report', fields.TextField(default='{}', unique=False)),
            ],
            options={'table': 'job_run', 'app': 'models', 'pk_attr': 'name'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='KeyCustody',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key_id', fields.CharField(max_length=32)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('acknowledged_by', fields.CharField(max_length=64)),
                ('acknowledged_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('note', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'key_custody', 'app': 'models', 'unique_together': (('key_id', 'fingerprint'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffWindow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='window_links', on_delete=OnDelete.CASCADE)),
                ('window', fields.ForeignKeyField('models.Window', source_field='window_id', db_constraint=True, to_field='id', related_name='staff_links', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'staff_window', 'app': 'models', 'unique_together': (('staff', 'window'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
