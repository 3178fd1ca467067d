#!/usr/bin/env python3
"""Set up and run the learning-portfolio platform with nothing but Python 3.11+ and git.

    python3 scripts/portfolio.py run     # create .venv, install the locked dependencies, start all services
    python3 scripts/portfolio.py test    # same set-up, then ruff, mypy and the whole test suite
    python3 scripts/portfolio.py setup   # only the set-up
    python3 scripts/portfolio.py lock    # re-resolve both locks with hashes (maintainers; needs the index)

Standard library only: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
# Runtime pins (what the images install) and development/test pins (what only a checkout needs),
# both with hashes: `setup` installs them with --require-hashes, so a changed file on the index fails.
LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
# The extras that hold the development and test tools (shared/pyproject.toml, central/pyproject.toml).
DEV_EXTRAS = ("testing", "dev")
PACKAGES = [
    "shared",
    "services/identity",
    "services/records",
    "services/artifacts",
    "services/submission",
    "services/notification",
    "services/portal",
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
    h.update(DEV_LOCK.read_bytes())
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
    if run(*pip, "--require-hashes", "-r", LOCK, "-r", DEV_LOCK) != 0:
        if os.environ.get(UNHASHED_ENV) != "1":
            sys.exit(_hash_failure_advice())
        say(f"{UNHASHED_ENV}=1: installing the same pinned versions WITHOUT checking their hashes")
        with tempfile.TemporaryDirectory() as tmp:
            pins = Path(tmp) / "pins.txt"
            pins.write_text("\n".join(_pins(LOCK) + _pins(DEV_LOCK)) + "\n")
            if run(*pip, "-r", pins) != 0:
                sys.exit("installing the pinned versions failed")
    editable: list[str | Path] = []
    for pkg in PACKAGES:
        editable += ["-e", ROOT / pkg]
    if run(*pip, "--no-deps", *editable) != 0:
        sys.exit("installing the project's packages failed")
    STAMP.write_text(fingerprint())


# The locks' hashes are of the files pip picks for CPython 3.11 on Linux x86-64 (this machine, CI
# and the python:3.11-slim images). Elsewhere (3.12/3.13, aarch64, macOS, Windows) pip picks other
# wheels of the same versions for the packages with compiled code, and --require-hashes refuses them.
LOCKED_PLATFORM = "CPython 3.11 on Linux x86-64"
UNHASHED_ENV = "PORTFOLIO_INSTALL_UNHASHED"


def _on_locked_platform() -> bool:
    import platform

    return (
        sys.implementation.name == "cpython"
        and sys.version_info[:2] == (3, 11)
        and sys.platform == "linux"
        and platform.machine() in ("x86_64", "AMD64")
    )


def _pins(path: Path) -> list[str]:
    return [line.split(" ")[0] for line in path.read_text().splitlines() if line and not line.startswith(("#", " "))]


def _hash_failure_advice() -> str:
    where = "this platform is the one the hashes cover" if _on_locked_platform() else "this is not " + LOCKED_PLATFORM
    return (
        f"installing requirements.lock and requirements-dev.lock with --require-hashes failed ({where}).\n"
        f"The hashes cover {LOCKED_PLATFORM} only. On another platform either run"
        " `python3 scripts/portfolio.py lock` there (re-resolves both locks with that platform's hashes;"
        f" do not commit them), or set {UNHASHED_ENV}=1 to install the same pinned versions without"
        " checking their hashes (README, 'Platforms')."
    )


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


def _resolve(targets: list[str], constraints: Path) -> dict[str, tuple[str, str]]:
    """pip's own resolver, dry run: name -> (version, sha256 of the file chosen for this platform)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [PY, "-m", "pip", "install", "--dry-run", "--ignore-installed", "-q", "--report", report]
        if run(*cmd, "-c", constraints, *targets) != 0:
            sys.exit("resolving the dependencies failed")
        data = json.loads(report.read_text())
    out: dict[str, tuple[str, str]] = {}
    for item in data["install"]:
        info = item.get("download_info", {})
        if "dir_info" in info:  # one of the project's own packages
            continue
        hashes = info.get("archive_info", {}).get("hashes", {})
        if "sha256" not in hashes:
            sys.exit(f"the index gave no sha256 for {item['metadata']['name']}")
        out[item["metadata"]["name"]] = (item["metadata"]["version"], hashes["sha256"])
    return out


def _write_lock(path: Path, pins: dict[str, tuple[str, str]], what: str) -> None:
    header = (
        f"# {what}, resolved by pip with the hash of each file (python3 scripts/portfolio.py lock).\n"
        "# Installed with --require-hashes by scripts/portfolio.py setup. Hashes are of the files for\n"
        "# CPython 3.11 on Linux x86-64 (this machine and the python:3.11-slim images).\n"
    )
    lines = [f"{name}=={version} \\\n    --hash=sha256:{digest}" for name, (version, digest) in pins.items()]
    path.write_text(header + "\n".join(sorted(lines, key=str.lower)) + "\n")
    say(f"wrote {len(lines)} pins to {path.name}")


def _with_dev_extras(pkg: str) -> str:
    import tomllib

    extras = tomllib.loads((ROOT / pkg / "pyproject.toml").read_text())["project"].get("optional-dependencies", {})
    chosen = [extra for extra in DEV_EXTRAS if extra in extras]
    return f"{ROOT / pkg}[{','.join(chosen)}]" if chosen else str(ROOT / pkg)


def lock() -> int:
    """Re-resolve from the packages' pyproject files, keeping today's versions (the locks as constraints).

    The runtime lock is the closure of the packages' runtime dependencies; the dev lock adds the
    closure of portfolio-shared's testing and dev extras, minus what the runtime lock holds. Nothing
    else gets in: no orphans from whatever happened to be installed in .venv.
    """
    with tempfile.TemporaryDirectory() as tmp:
        constraints = Path(tmp) / "constraints.txt"
        pins = [
            line.split(" ")[0]
            for path in (LOCK, DEV_LOCK)
            if path.exists()
            for line in path.read_text().splitlines()
            if line and not line.startswith(("#", " "))
        ]
        constraints.write_text("\n".join(pins) + "\n")
        packages = [str(ROOT / pkg) for pkg in PACKAGES]
        runtime = _resolve(packages, constraints)
        everything = _resolve([_with_dev_extras(pkg) for pkg in PACKAGES], constraints)
    moved = sorted(k for k in runtime if everything.get(k, runtime[k])[0] != runtime[k][0])
    if moved:
        sys.exit(f"the two resolutions disagree on {moved}: pin them in requirements.lock first")
    _write_lock(LOCK, runtime, "Runtime dependencies (what the images install)")
    _write_lock(DEV_LOCK, {k: v for k, v in everything.items() if k not in runtime}, "Development and test tools")
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
