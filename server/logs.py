"""Log lines of every `hcp` process: to stderr, each with time (ISO-8601, UTC), level,
logger and process id, as text or as one JSON object a line (HCP_LOG_FORMAT).

uvicorn's workers are spawned processes that inherit nothing configured in the parent, so
the configuration is a dictConfig mapping handed to uvicorn (`log_config`), which applies
it in the supervisor and again in each worker."""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]
TEXT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
# uvicorn's own loggers lose the handlers uvicorn gives them and write through the root's;
# their level stays uvicorn's (`--log-level`), the service's loggers log INFO and up.
_UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _timestamp(record)


class JsonFormatter(logging.Formatter):
    """One object a line: a traceback or a multi-line message stays inside its record."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def log_config(log_format: LogFormat) -> dict[str, Any]:
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"hcp": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "hcp",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            **{name: {"handlers": [], "propagate": True} for name in _UVICORN},
            # Tortoise says "Tortoise-ORM startup/shutdown" at INFO on every command: noise.
            "tortoise": {"level": "WARNING"},
        },
    }


def configure_logging(log_format: LogFormat) -> None:
    logging.config.dictConfig(log_config(log_format))
