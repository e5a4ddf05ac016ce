"""The ``planocr`` command line: serve, migrate, health, ocr."""

from __future__ import annotations

import argparse
import sys

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
    from planocr.server import serve

    settings = _settings()
    logs.configure(settings.log_level, settings.log_format)
    serve(settings)
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
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    target = args.server or _settings().listen
    with grpc.insecure_channel(target) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=args.service), timeout=args.timeout
            )
        except grpc.RpcError as exc:
            print(f"{target}: {exc.code().name}", file=sys.stderr)
            return 1
    state = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(f"{target}: {state}")
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planocr", description="Read construction drawing sets over gRPC.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the gRPC service (configured by PLANOCR_* variables)")
    serve.set_defaults(func=cmd_serve)
    migrate = sub.add_parser("migrate", help="create or upgrade the database schema")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(func=cmd_migrate)
    health = sub.add_parser("health", help="ask a running server whether it is serving (exit 0) or not (exit 1)")
    health.add_argument("--server", help="host:port (default PLANOCR_LISTEN)")
    health.add_argument("--service", default="", help="service name to check (default: the whole server)")
    health.add_argument("--timeout", type=float, default=5.0)
    health.set_defaults(func=cmd_health)
    from planocr.ocr_cli import add_parser as add_ocr_parser

    add_ocr_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
