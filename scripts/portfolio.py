#!/usr/bin/env python3
"""Set up and run the learning-portfolio platform with nothing but Python 3.11+ and git.

    python3 scripts/portfolio.py run     # create .venv, install the locked dependencies, start all services
    python3 scripts/portfolio.py test    # same set-up, then ruff, mypy and the whole test suite
    python3 scripts/portfolio.py setup   # only the set-up
    python3 scripts/portfolio.py lock    # refresh requirements.lock from the current .venv (maintainers)

Standard library only: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
LOCK = ROOT / "requirements.lock"
PACKAGES = [
    "shared",
    "services/identity",
    "services/records",
    "services/artifacts",
    "services/submission",
    "services/notification",
    "central",
    "standalone",
]
STAMP = VENV / ".portfolio-installed"


def say(message: str) -> None:
    print(f"[portfolio] {message}", flush=True)


def run(*args: str | Path, env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT, env=env)


def fingerprint() -> str:
    h = hashlib.sha256(LOCK.read_bytes())
    for pkg in PACKAGES:
        h.update((ROOT / pkg / "pyproject.toml").read_bytes())
    return h.hexdigest()


def setup() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]})")
    if not PY.exists():
        say(f"creating the virtual environment in {VENV.relative_to(ROOT)}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == fingerprint():
        return
    say("installing the locked dependencies (first run only; a few minutes)")
    pip = [PY, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if run(*pip, "-r", LOCK) != 0:
        sys.exit("installing requirements.lock failed")
    editable: list[str | Path] = []
    for pkg in PACKAGES:
        editable += ["-e", ROOT / pkg]
    if run(*pip, "--no-deps", *editable) != 0:
        sys.exit("installing the project's packages failed")
    STAMP.write_text(fingerprint())


def test(extra: list[str]) -> int:
    env = dict(os.environ)
    steps: list[tuple[str, list[str | Path]]] = [
        ("ruff check", [BIN / "ruff", "check", "."]),
        ("ruff format --check", [BIN / "ruff", "format", "--check", "."]),
        ("mypy", [BIN / "mypy"]),
    ]
    for name, cmd in steps:
        say(name)
        if run(*cmd, env=env) != 0:
            say(f"{name} failed")
            return 1
    say("pytest")
    return run(PY, "-m", "pytest", *(extra or ["-q"]), env=env)


def lock() -> int:
    out = subprocess.run([PY, "-m", "pip", "freeze", "--exclude-editable"], capture_output=True, text=True, check=True)
    lines = [line for line in out.stdout.splitlines() if line and not line.startswith(("-e ", "portfolio-"))]
    header = "# Locked versions, installed by scripts/portfolio.py (refresh: python3 scripts/portfolio.py lock)\n"
    LOCK.write_text(header + "\n".join(sorted(lines, key=str.lower)) + "\n")
    say(f"wrote {len(lines)} pins to {LOCK.name}")
    return 0


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("run", [])
    if command == "lock":
        return lock()
    setup()
    if command == "setup":
        return 0
    if command == "run":
        os.chdir(ROOT)
        os.execv(str(PY), [str(PY), "-m", "portfolio_standalone", *rest])
    if command == "test":
        return test(rest)
    sys.exit(f"unknown command {command!r}: use run, test, setup or lock")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
