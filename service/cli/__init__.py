"""The ``planocr`` command line: serve, migrate, health, ocr."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError


def _settings():
    from planocr.config import Settings

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"PLANOCR_{'_'.join(map(str, e['loc'])).upper() or 'SETTINGS'}: {e['msg']}" for e in exc.errors())
        sys.exit(f"planocr: invalid configuration: {problems}")


def cmd_serve(args: argparse.Namespace) -> int:
    from planocr import logs
    from planocr.rpc import security
    from planocr.rpc.server import serve

    settings = _settings()
    logs.configure(settings.log_level, settings.log_format, secrets=security.secrets_of(settings))
    try:
        serve(settings)
    except security.TlsConfigError as exc:
        sys.exit(f"planocr: {exc}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from planocr.db import migrate
    from planocr.db.engine import create_db_engine

    settings = _settings()
    engine = create_db_engine(settings)
    try:
        migrate.upgrade(engine, args.revision)
        print(f"database at revision {migrate.current_revision(engine)}")
    finally:
        engine.dispose()
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    from planocr.cli import healthcheck
    from planocr.config import Settings

    try:
        options = healthcheck.HealthCheckSettings()
    except ValidationError as exc:
        sys.exit(f"planocr health: invalid PLANOCR_HEALTHCHECK_* setting: {exc.errors()[0]['msg']}")
    flags = {
        "server": args.server,
        "tls": args.tls,
        "ca_file": args.ca_file,
        "cert_file": args.cert_file,
        "key_file": args.key_file,
        "server_name": args.server_name,
        "timeout": args.timeout,
    }
    options = options.model_copy(update={k: v for k, v in flags.items() if v is not None})
    try:
        server = Settings()
    except ValidationError:
        if options.server is None:
            _settings()  # exits with the configuration problem
        server = None  # an explicit --server does not need the server's own settings
    try:
        target = healthcheck.resolve(options, server)
        serving, message = healthcheck.check(target, args.service, options.timeout)
    except (ValueError, OSError) as exc:
        print(f"planocr health: {exc}", file=sys.stderr)
        return 1
    print(message, file=sys.stdout if serving else sys.stderr)
    return 0 if serving else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planocr", description="Read construction drawing sets over gRPC.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the gRPC service (configured by PLANOCR_* variables)")
    serve.set_defaults(func=cmd_serve)
    migrate = sub.add_parser("migrate", help="create or upgrade the database schema")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(func=cmd_migrate)
    health = sub.add_parser(
        "health",
        help="ask a running server whether it is serving (exit 0) or not (exit 1)",
        description="Exit 0 when the server answers SERVING, 1 otherwise. Defaults come from the server's PLANOCR_* "
        "settings (its port; TLS when it has a certificate) and PLANOCR_HEALTHCHECK_* variables.",
    )
    health.add_argument("--server", help="host:port (default PLANOCR_HEALTHCHECK_SERVER, else PLANOCR_LISTEN on loopback)")
    health.add_argument("--service", default="", help="service name to check (default: the whole server)")
    health.add_argument("--timeout", type=float, help="seconds to wait (default 5)")
    tls = health.add_mutually_exclusive_group()
    tls.add_argument("--tls", dest="tls", action="store_true", default=None, help="use TLS (default: when PLANOCR_TLS_CERT_FILE is set)")
    tls.add_argument("--plaintext", dest="tls", action="store_false", help="do not use TLS")
    health.add_argument("--ca-file", type=Path, help="CA for the server certificate (default: PLANOCR_TLS_CERT_FILE)")
    health.add_argument("--cert-file", type=Path, help="client certificate for mutual TLS")
    health.add_argument("--key-file", type=Path, help="client key for mutual TLS")
    health.add_argument("--server-name", help="name to verify in the server certificate")
    health.set_defaults(func=cmd_health)
    from planocr.cli.ocr import add_parser as add_ocr_parser

    add_ocr_parser(sub)
    from planocr.cli.watch import add_parser as add_watch_parser

    add_watch_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)

