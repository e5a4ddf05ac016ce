"""The machine and software a benchmark ran on, for the report."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from pathlib import Path

from bench.harness import ROOT


def _first_line(path: str, prefix: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1].strip().strip('"')
    except OSError:
        return None
    return None


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def _postgres_version(database_url: str) -> str:
    import psycopg2
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    try:
        conn = psycopg2.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password, dbname=url.database)
    except psycopg2.Error:
        return "unknown"
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            version = cur.fetchone()[0]
            cur.execute("SHOW synchronous_commit")
            return f"{version} (synchronous_commit {cur.fetchone()[0]})"
    finally:
        conn.close()


def describe(database_url: str | None) -> dict:
    import grpc
    import tesserocr

    memory_kb = _first_line("/proc/meminfo", "MemTotal")
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _first_line("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(int(memory_kb.split()[0]) / 1024 / 1024, 1) if memory_kb else None,
        "os": _first_line("/etc/os-release", "PRETTY_NAME") or platform.platform(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "grpcio": grpc.__version__,
        "libtesseract": f"{tesserocr.tesseract_version().splitlines()[0]} via tesserocr {tesserocr.__version__}",
        "postgresql": _postgres_version(database_url) if database_url else "not used",
        "planocr_commit": commit + (" with uncommitted changes" if dirty else ""),
    }
