"""Tortoise models, one module per aggregate, plus the SQL helpers services use on hot paths."""
