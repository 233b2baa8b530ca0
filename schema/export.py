"""`python -m schema.export`: print the SDL committed as schema.graphql."""

from __future__ import annotations

import sys

from schema.app import build_schema


def sdl() -> str:
    return build_schema().as_str() + "\n"


if __name__ == "__main__":
    sys.stdout.write(sdl())
