"""Logging: JSON lines in production, readable lines on a terminal.

Records never carry page text, image bytes or secrets; the per-call line
carries method, code, duration and ids only. As a last line of defence the
handler masks every configured secret (token, S3 secret key, database
password) wherever it would appear in a formatted line, tracebacks included.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Iterable

MASK = "***"
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if extra:
            line += " " + " ".join(f"{k}={v}" for k, v in extra.items())
        return line


class Masking(logging.Formatter):
    """Wraps a formatter and replaces secret values in its output with ``***``."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]):
        super().__init__()
        self.inner = inner
        # Also the JSON-escaped spelling, for secrets with quotes or backslashes.
        forms = {form for s in secrets if s for form in (s, json.dumps(s)[1:-1])}
        self.secrets = sorted(forms, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        line = self.inner.format(record)
        for secret in self.secrets:
            line = line.replace(secret, MASK)
        return line


def configure(level: str = "INFO", fmt: str = "auto", secrets: Iterable[str] = ()) -> None:
    """Send every record to stderr: JSON lines, or readable lines on a terminal (``fmt="auto"``)."""
    if fmt == "auto":
        fmt = "text" if sys.stderr.isatty() else "json"
    handler = logging.StreamHandler(sys.stderr)
    formatter: logging.Formatter = JsonFormatter() if fmt == "json" else TextFormatter()
    secrets = list(secrets)
    handler.setFormatter(Masking(formatter, secrets) if secrets else formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
