"""Logging: JSON lines in production, readable lines on a terminal.

Records never carry page text, image bytes or secrets; the per-call line
carries method, code, duration and ids only. As a last line of defence the
handler masks every configured secret (token, S3 secret key, database
password) wherever it would appear in a formatted line, tracebacks included.

A record is one line in either format, whatever a caller put in an id or a
file name: the text format writes control characters (newlines, carriage
returns, terminal escapes) as backslash escapes and indents the lines of a
traceback, so no line of the log starts like a record it is not; the JSON
format writes every character outside printable ASCII as a JSON escape.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Iterable

MASK = "***"
#: C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_TRACEBACK_INDENT = "    "


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def escape_controls(text: str) -> str:
    """``text`` with every control character written as a backslash escape: one line, nothing for a terminal to obey."""
    return _CONTROL.sub(_escaped, text) if _CONTROL.search(text) else text


def _indented_block(text: str) -> str:
    """A traceback as lines indented under its record, each escaped."""
    return "\n".join(_TRACEBACK_INDENT + escape_controls(line) for line in text.splitlines())
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
        # json.dumps writes every character outside printable ASCII as an escape: a record is one line.
        return json.dumps(data, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.getMessage())
        record.asctime = self.formatTime(record, self.datefmt)
        line = self.formatMessage(record)
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if extra:
            line += " " + " ".join(f"{escape_controls(str(k))}={escape_controls(str(v))}" for k, v in extra.items())
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + _indented_block(record.exc_text)
        if record.stack_info:
            line += "\n" + _indented_block(self.formatStack(record.stack_info))
        return line


class Masking(logging.Formatter):
    """Wraps a formatter and replaces secret values in its output with ``***``."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]):
        super().__init__()
        self.inner = inner
        # Also the JSON-escaped spelling, for secrets with quotes or backslashes.
        forms = {form for s in secrets if s for form in (s, json.dumps(s)[1:-1], escape_controls(s))}
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
