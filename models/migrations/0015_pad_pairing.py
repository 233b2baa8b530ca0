from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0014_policy_versions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PadPairingCode',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('window', fields.ForeignKeyField('models.Window', source_field='window_id', db_constraint=True, to_field='id', related_name='pairing_codes', on_delete=OnDelete.RESTRICT)),
                ('code_hash', fields.CharField(max_length=64)),
                ('created_by', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('failed_attempts', fields.SmallIntField(default=0)),
                ('label', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'pad_pairing_code', 'app': 'models', 'indexes': [Index(fields=['window_id', 'used_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='PadSession',
            name='label',
            field=fields.CharField(default='', max_length=64),
        ),
        ops.AddField(
            model_name='PadSession',
            name='last_seen_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='PadSession',
            name='revoked_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='PadSession',
            name='revoked_by',
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
