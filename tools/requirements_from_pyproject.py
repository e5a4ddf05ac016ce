"""Print a project's runtime requirements from pyproject.toml, one per line.

    python requirements_from_pyproject.py pyproject.toml [--extra vision,rapidocr]

The Dockerfile installs these before it copies the source, so the
dependency layer is rebuilt only when pyproject.toml changes.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path


def requirements(pyproject: Path, extras: list[str]) -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    found = list(project.get("dependencies", []))
    optional = project.get("optional-dependencies", {})
    for extra in (e.strip() for group in extras for e in group.split(",") if e.strip()):
        if extra not in optional:
            raise SystemExit(f"no extra {extra!r} in {pyproject} (have: {', '.join(sorted(optional))})")
        found += [r for r in optional[extra] if r not in found]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pyproject", type=Path)
    parser.add_argument("--extra", action="append", default=[], help="also the requirements of these extras (comma-separated, repeatable; empty for none)")
    args = parser.parse_args()
    sys.stdout.write("".join(f"{line}\n" for line in requirements(args.pyproject, args.extra)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
