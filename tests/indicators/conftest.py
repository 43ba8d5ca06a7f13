"""Make the repository root importable so tests can use ``tests.factories`` and
``tests.change.squares`` whatever pytest's import mode (remove once pyproject sets
``pythonpath = ["."]``)."""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
