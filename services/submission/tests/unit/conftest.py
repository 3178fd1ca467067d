"""Unit tests of the submission service: pure domain code, no I/O.

Makes ``portfolio_submission`` importable from the source tree when the service is not installed.
"""

import sys
from pathlib import Path

_SRC = Path(__file__).resolve().parents[2] / "src"
if str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))
