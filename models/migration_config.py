"""Config for `tortoise makemigrations` (dev time only; the running service builds its own)."""

from models.db import tortoise_config

TORTOISE_ORM = tortoise_config("sqlite://:memory:")
