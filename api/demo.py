"""The demo's set-up: register the sample package, evaluate every tenure once, demo users.

Everything lives under the demo folder (the SQLite database and the evaluation outputs in
``<dir>/data``), so the demo never touches a bureau's own database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from api.jobs import OUT
from api.packages import PackageStore
from api.pipeline import RunOptions, run_evaluation
from api.settings import Settings
from gisaudit.errors import NotFoundError
from gisaudit.evaluation.outputs import resolve_system
from gisaudit.progress import ProgressFn, no_progress
from gisaudit.storage import make_engine, session_scope, upgrade_database
from gisaudit.storage.repository import (
    create_user,
    get_user,
    list_evaluations,
    save_evaluation,
    set_user_password,
)

# (name, password, role, districts) — printed by `gisaudit demo`; a demo, not a bureau's users
DEMO_USERS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("demo", "demo-2025", "admin", ()),
    ("auditor-dongli", "demo-2025", "auditor", ("120110",)),
)


@dataclass(frozen=True)
class DemoState:
    """What the demo set up."""

    settings: Settings
    package_id: str
    evaluation_id: str
    evaluated_now: bool
    users: tuple[tuple[str, str, str, tuple[str, ...]], ...]


def demo_settings(directory: Path) -> Settings:
    """Settings of the demo: SQLite and outputs under ``directory/data``, anonymous read off."""
    data = (directory / "data").resolve()
    return replace(
        Settings.from_env(), data_dir=data, database_url=f"sqlite:///{data / 'gisaudit.db'}"
    )


def prepare_demo(
    directory: Path, package_dir: Path, progress: ProgressFn | None = None
) -> DemoState:
    """Register ``package_dir``, evaluate every tenure into the database unless this very
    package (same input fingerprints) was evaluated already, and make sure the demo users exist."""
    progress = progress or no_progress
    settings = demo_settings(directory)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.database_url)
    store = PackageStore(settings)
    root = str(package_dir.resolve())
    record = next((r for r in store.list() if r.path == root), None)
    if record is None:
        record, _ = store.register_folder(root, user="demo")
    package = store.load(record.id)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            done = [
                e.id
                for e in list_evaluations(session, limit=1000).items
                if e.fingerprints == package.fingerprints
            ]
        evaluated_now = not done
        if evaluated_now:
            evaluation_id = str(uuid.uuid4())
            out = settings.data_dir / "evaluations" / evaluation_id / OUT
            results = run_evaluation(
                package,
                out,
                tenure_ids=None,
                indicators=None,
                options=RunOptions(),
                progress=progress,
            )
            system = resolve_system(package, None)
            save_evaluation(
                engine,
                package.name,
                package.fingerprints,
                system.id,
                system.version,
                results,
                user="demo",
                progress=progress,
                evaluation_id=evaluation_id,
                parameters={"package_id": record.id, "demo": True},
            )
        else:
            evaluation_id = str(done[0])
        with session_scope(engine) as session:
            for name, password, role, districts in DEMO_USERS:
                try:
                    get_user(session, name)
                    set_user_password(session, name, password)
                except NotFoundError:
                    create_user(session, name, password, role, districts)
    finally:
        engine.dispose()
    return DemoState(settings, record.id, evaluation_id, evaluated_now, DEMO_USERS)
