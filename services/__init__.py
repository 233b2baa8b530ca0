"""Use cases: plain async functions taking their collaborators as keyword-only arguments."""
