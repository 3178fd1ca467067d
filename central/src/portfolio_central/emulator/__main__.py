"""Run the central-database emulator: ``portfolio-central-emulator [--host] [--port] [--data]``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import uvicorn

from .app import create
from .config import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portfolio-central-emulator", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("PORTFOLIO_CENTRAL_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORTFOLIO_CENTRAL_PORT", "8006")))
    parser.add_argument(
        "--data", type=Path, default=None, help="data folder (default PORTFOLIO_CENTRAL_DATA_DIR or var/central)"
    )
    parser.add_argument("--windows-file", type=Path, default=None, help="a JSON list of windows to open at start")
    args = parser.parse_args(argv)
    overrides: dict[str, object] = {}
    if args.data is not None:
        overrides["data_dir"] = args.data
    if args.windows_file is not None:
        overrides["windows_file"] = args.windows_file
    settings = Settings(**overrides)  # type: ignore[arg-type]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create(settings)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    print(
        f"central-database emulator: http://{args.host}:{args.port}  (data: {settings.data_dir.resolve()})", flush=True
    )
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
