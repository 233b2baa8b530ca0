"""The citizen and hall clients served by the app: the window QR code and its poster, the
scan page, the mini-program's "my cases", the evaluator pad, and (dev only) a stand-in for
the mini-program platform's real-name login. Pages are static files rendered from the API."""

from __future__ import annotations

from mini_program_mock.routes import client_routes

__all__ = ["client_routes"]
