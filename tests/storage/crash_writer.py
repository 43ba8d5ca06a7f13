"""Helper process of test_crash.py: starts saving a big evaluation and, once part of it is
written inside the open transaction, writes the ready file and waits to be killed (SIGKILL).

Usage: python crash_writer.py URL READY_FILE TENURE_ID DISTRICT_CODE N_LEADS
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(url: str, ready: str, tenure: str, district: str, n_leads: int) -> None:
    from gisaudit.storage import make_engine
    from gisaudit.storage.repository import save_evaluation
    from tests.storage.factories import lead_frame, tenure_result

    engine = make_engine(url)
    result = tenure_result(tenure, district, lead_frame(tenure, district, range(n_leads)), total=1)

    def progress(message: str, done: int, total: int) -> None:
        if not Path(ready).exists():
            Path(ready).write_text(f"{message}: {done}/{total}", encoding="utf-8")
            time.sleep(600)  # the test kills us here, mid-transaction

    save_evaluation(engine, "崩溃测试", {}, "tianjin-2025", "1.0", [result], progress=progress)
    print("saved: the test should have killed this process before", file=sys.stderr)
    sys.exit(3)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
