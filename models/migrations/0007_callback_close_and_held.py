from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import CallbackCloseReason
from tortoise import fields

# close_reason: a callback closed because the rater replaced the bad rating is told apart
# from one the department made. idx_rating_held: the sweep passes over the cases whose
# rating is held for review, one NOT EXISTS per due case; held ratings are few. Written in
# SQL: a PartialIndex's condition comes out as `held_for_review = true`, which SQLite never
# matches to a query's condition, so it would not use the index.
class Migration(migrations.Migration):
    dependencies = [('models', '0006_reminder_calls')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Callback',
            name='close_reason',
            field=fields.CharEnumField(null=True, description='RATING_CHANGED: RATING_CHANGED', enum_type=CallbackCloseReason, max_length=16),
        ),
        ops.RunSQL(
            "CREATE INDEX idx_rating_held ON rating (case_id) WHERE held_for_review",
            reverse_sql="DROP INDEX idx_rating_held",
        ),
    ]
