"""Make ``portfolio_records`` importable when the service is not installed (plain checkout)."""

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("portfolio_records") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
