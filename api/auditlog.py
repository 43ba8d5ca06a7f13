"""An append-only log of the writes that have no history of their own (users, packages,
indicator systems, tenures, evaluations): ``<data dir>/audit-log.jsonl``, one JSON per line.
Lead changes are recorded in each lead's own history in the database."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.settings import Settings

LOG_FILE = "audit-log.jsonl"
_LOCK = threading.Lock()


def record(settings: Settings, user: str, action: str, target: str, **details: Any) -> None:
    """Append one write (who, when, what, on what) to the audit log."""
    entry = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "user": user,
        "action": action,
        "target": target,
        **details,
    }
    path = Path(settings.data_dir) / LOG_FILE
    line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line)


def read_log(settings: Settings, limit: int = 200) -> list[dict[str, Any]]:
    """The newest ``limit`` entries, newest first."""
    path = Path(settings.data_dir) / LOG_FILE
    if not path.is_file():
        return []
    lines = path.read_text("utf-8").splitlines()[-limit:]
    return [json.loads(line) for line in reversed(lines) if line.strip()]
