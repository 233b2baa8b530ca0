"""The process around the API: settings, ASGI app, identity, Redis, the `hcp` CLI."""
