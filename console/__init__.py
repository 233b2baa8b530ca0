"""The staff console (工作台) for the bad-rating loop (差评处理闭环): the worklist, an item
with its timeline and evidence, and the action its step asks of the signed-in staff member;
in dev, a stand-in for the staff identity provider's login. Pages are static files rendered
from the API, built like mini_program_mock's."""

from __future__ import annotations

from console.routes import console_routes

__all__ = ["console_routes"]
