from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_work_items')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Rating',
            name='moderated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Rating',
            name='moderated_by',
            field=fields.CharField(null=True, max_length=100),
        ),
        ops.AddField(
            model_name='Rating',
            name='moderation',
            field=fields.CharField(null=True, max_length=8),
        ),
    ]
