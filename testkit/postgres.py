"""A real PostgreSQL for the tests.

Order of preference:
1. ``PLANOCR_TEST_DATABASE_URL`` (its server is used; a throwaway database is created on it);
2. a server on 127.0.0.1:5432 with trust auth, if one answers;
3. a throwaway cluster made with ``initdb`` and run with ``pg_ctl`` (as the
   ``postgres`` user when the tests run as root).

Fault tests need a server they may stop and restart; they always use
:class:`PostgresCluster`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import make_url

from testkit.ports import free_port


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise RuntimeError(f"{name} not found; install PostgreSQL (apt-get install postgresql)")


def _connect(url: str, timeout: int = 10):
    parsed = make_url(url)
    return psycopg2.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname=parsed.database or "postgres",
        connect_timeout=timeout,
    )


def reachable(url: str) -> bool:
    try:
        conn = _connect(url, timeout=2)
    except psycopg2.Error:
        return False
    conn.close()
    return True


def _admin(admin_url: str, statement: sql.Composable) -> None:
    conn = _connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(statement)
    conn.close()


class PostgresCluster:
    """A private PostgreSQL server in a temporary folder, on a free loopback port."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="planocr-pg-"))
        self.data = self.root / "data"
        self.user = "postgres"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run([_pg_bin("initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust", "--no-sync", "-E", "UTF8"])
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n"
            )

    def _run(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess:
        if self._as_postgres:
            args = ["runuser", "-u", "postgres", "--", *args]
        return subprocess.run(args, check=check, capture_output=True, text=True, timeout=120)

    @property
    def admin_url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self._run([_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "60", "start"])

    def stop(self, mode: str = "fast") -> None:
        self._run([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"], check=False)

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def create_database(admin_url: str, name: str | None = None) -> str:
    """Create a throwaway database and return its URL."""
    name = name or f"planocr_test_{uuid.uuid4().hex[:10]}"
    _admin(admin_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    _admin(admin_url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class PostgresProvider:
    """Finds or starts a server once per test session and hands out throwaway databases."""

    def __init__(self) -> None:
        self.cluster: PostgresCluster | None = None
        env = os.environ.get("PLANOCR_TEST_DATABASE_URL")
        if env:
            self.admin_url = make_url(env).set(database="postgres").render_as_string(hide_password=False)
            if not reachable(self.admin_url):
                self.admin_url = env
        elif reachable("postgresql://postgres@127.0.0.1:5432/postgres"):
            self.admin_url = "postgresql://postgres@127.0.0.1:5432/postgres"
        else:
            self.cluster = PostgresCluster()
            self.cluster.start()
            self.admin_url = self.cluster.admin_url

    def new_database(self) -> str:
        return create_database(self.admin_url)

    def drop(self, url: str) -> None:
        drop_database(self.admin_url, url)

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.destroy()
