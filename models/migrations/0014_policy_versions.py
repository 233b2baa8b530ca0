from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_statistics')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PolicyVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('digest', fields.CharField(unique=True, max_length=64)),
                ('label', fields.CharField(default='', max_length=128)),
                ('content', fields.TextField(unique=False)),
                ('scenarios', fields.TextField(unique=False)),
                ('effective_from', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'policy_version', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PolicyActivation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('version', fields.ForeignKeyField('models.PolicyVersion', source_field='version_id', db_constraint=True, to_field='id', related_name='activations', on_delete=OnDelete.RESTRICT)),
                ('activated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('activated_by', fields.CharField(max_length=128)),
                ('note', fields.TextField(default='', unique=False)),
                ('via', fields.CharField(max_length=16)),
            ],
            options={'table': 'policy_activation', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
