from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0011_rating_moderation')]

    initial = False

    operations = [
        ops.AddField(
            model_name='WorkItem',
            name='confirmed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='WorkItem',
            index=Index(fields=['rated_staff_id', 'confirmed_at']),
        ),
    ]
