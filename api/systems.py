"""Indicator systems: the shipped default and the custom ones an admin uploaded.

Custom systems are stored as ``<data dir>/indicator_systems/<id>.yaml``, validated by the
indicator loader (``gisaudit.indicators.parse_indicator_system``) before they are kept.
"""

from __future__ import annotations

import re
import threading
from importlib import resources
from pathlib import Path

from gisaudit.errors import InputError, NotFoundError
from gisaudit.indicators import IndicatorSystem, load_indicator_system, parse_indicator_system
from gisaudit.indicators.config import DEFAULT_SYSTEM

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_YAML_BYTES = 1024 * 1024


class SystemStore:
    """Indicator systems by id: the default (built in) and uploaded ones."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = Path(data_dir) / "indicator_systems"
        self._lock = threading.Lock()

    def default(self) -> IndicatorSystem:
        """The shipped indicator system (tianjin-2025)."""
        return load_indicator_system(None)

    def list(self) -> list[tuple[IndicatorSystem, bool]]:
        """Every system with whether it is built in; the default first."""
        out = [(self.default(), True)]
        if self.folder.is_dir():
            for path in sorted(self.folder.glob("*.yaml")):
                out.append((self._load(path), False))
        return out

    def _load(self, path: Path) -> IndicatorSystem:
        return parse_indicator_system(path.read_text("utf-8"), path.name)

    def path(self, system_id: str) -> Path | None:
        """The YAML file of a custom system; None for the default; NotFoundError if unknown."""
        if system_id in ("default", DEFAULT_SYSTEM):
            return None
        path = self.folder / f"{system_id}.yaml"
        if not _ID.match(system_id) or not path.is_file():
            raise NotFoundError(
                f"未找到指标体系“{system_id}”。可用的指标体系见 GET /api/indicator-systems。"
            )
        return path

    def get(self, system_id: str) -> IndicatorSystem:
        """One system by id."""
        path = self.path(system_id)
        return self.default() if path is None else self._load(path)

    def text(self, system_id: str) -> str:
        """The system's YAML text (to copy and change)."""
        path = self.path(system_id)
        if path is None:
            source = resources.files("gisaudit.rules").joinpath(f"{DEFAULT_SYSTEM}.yaml")
            return source.read_text("utf-8")
        return path.read_text("utf-8")

    def add(self, data: bytes, filename: str) -> IndicatorSystem:
        """Validate and store an uploaded system (ConfigError / InputError when it is wrong)."""
        if len(data) > MAX_YAML_BYTES:
            raise InputError("指标体系文件超过 1 MB，请检查是否上传了正确的 YAML 文件。")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                "指标体系文件不是 UTF-8 编码。请以 UTF-8 编码另存后重新上传。"
            ) from exc
        system = parse_indicator_system(text, Path(filename or "指标体系.yaml").name)
        if system.id in ("default", DEFAULT_SYSTEM):
            raise InputError(
                f"不能覆盖内置指标体系“{DEFAULT_SYSTEM}”。请在文件中把 id 改为新的名称后上传。"
            )
        if not _ID.match(system.id):
            raise InputError(
                f"指标体系 id “{system.id}” 只能包含字母、数字、点、下划线和连字符"
                "（最长 64 个字符）。"
            )
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{system.id}.yaml.tmp"
            tmp.write_text(text, "utf-8")
            tmp.replace(self.folder / f"{system.id}.yaml")
        return system
