"""The package manifest ``package.yaml`` (spec §4): parsing, validation, safe paths."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from gisaudit.layers.common import Issues, parse_date

MANIFEST = "package.yaml"


def _vintage(value: Any) -> date:
    parsed = parse_date(value) if not isinstance(value, (int, float)) else None
    if parsed is None:
        raise ValueError(f"{value!r} 不是日期（应写成 YYYY-MM-DD，如 2023-12-31）")
    return parsed


Vintage = Annotated[date, BeforeValidator(_vintage)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VectorSpec(_Strict):
    """A vector layer: a path relative to the package, and the layer inside the file."""

    path: str
    layer: str | None = None


class DistrictsSpec(VectorSpec):
    """The district boundaries layer."""

    code_field: str = "code"
    name_field: str = "name"


class LandUseSpec(VectorSpec):
    """One land-use vintage (地类图斑)."""

    vintage: Vintage
    class_field: str = "DLBM"
    id_field: str = "BSM"
    district_field: str = "ZLDWDM"
    kcxs_field: str = "KCXS"


class ZoneSpec(VectorSpec):
    """A context zone layer; ``date_field`` only for approvals."""

    date_field: str | None = None


class ZonesSpec(_Strict):
    """The optional zone layers, by kind."""

    pbf: ZoneSpec | None = None
    redline: ZoneSpec | None = None
    approvals: ZoneSpec | None = None


class CoastlineSpec(VectorSpec):
    """One coastline vintage."""

    vintage: Vintage
    type_field: str = "AXLX"


class RasterSpec(_Strict):
    """One GeoTIFF of a vintage."""

    vintage: Vintage
    path: str


class LandcoverSpec(RasterSpec):
    """A classified land-cover GeoTIFF: raster value -> land-class code."""

    classes: dict[int, str | int] = Field(min_length=1)


class Manifest(_Strict):
    """The whole ``package.yaml``."""

    name: str = ""
    crs: str = "EPSG:4527"
    districts: DistrictsSpec
    landuse: list[LandUseSpec] = Field(min_length=1)
    zones: ZonesSpec = ZonesSpec()
    coastline: list[CoastlineSpec] = []
    imagery: list[RasterSpec] = []
    landcover: list[LandcoverSpec] = []
    tenures: str
    targets: str | None = None
    indicator_system: str = "default"

    def paths(self) -> list[str]:
        """Every path the manifest names (the indicator system only when it is a path)."""
        out = [self.districts.path, *(v.path for v in self.landuse), self.tenures]
        out += [z.path for z in (self.zones.pbf, self.zones.redline, self.zones.approvals) if z]
        out += [c.path for c in self.coastline] + [r.path for r in self.imagery]
        out += [r.path for r in self.landcover]
        if self.targets:
            out.append(self.targets)
        if self.indicator_system != "default":
            out.append(self.indicator_system)
        return out


def _loc(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int) and parts:
            parts[-1] += f"[{item + 1}]"
        else:
            parts.append(str(item))
    return ".".join(parts) or "（根）"


def _describe(err: dict[str, Any]) -> tuple[str, str]:
    kind, where = err["type"], _loc(err["loc"])
    if kind == "missing":
        return f"缺少必填项 {where}。", f"请在 package.yaml 中补充 {where}（见规范第 4 节）。"
    if kind == "extra_forbidden":
        return f"未知的键 {where}。", "请删除或改正该键名（可用的键见规范第 4 节）。"
    if kind == "too_short":
        return f"{where} 不能为空。", f"请在 {where} 下至少列出一项。"
    if kind == "value_error":
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
        return f"{where}：{msg}。", "请改正该值。"
    return f"{where} 的值无效（{err['msg']}）。", "请按规范第 4 节改正该值。"


def load_manifest(root: Path, issues: Issues) -> Manifest | None:
    """Parse and validate ``root/package.yaml``; report problems and return None when unusable."""
    path = root / MANIFEST
    if not root.is_dir():
        issues.add(
            "",
            f"数据包文件夹不存在：{root}",
            "请检查路径：应为含清单 package.yaml 的数据包文件夹。",
        )
        return None
    if not path.is_file():
        issues.add(
            MANIFEST, "数据包缺少清单文件 package.yaml。", "请在数据包文件夹中创建 package.yaml。"
        )
        return None
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except UnicodeDecodeError:
        issues.add(MANIFEST, "package.yaml 不是 UTF-8 编码。", "请以 UTF-8 编码保存 package.yaml。")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else "某处"
        reason = getattr(exc, "problem", None) or str(exc)
        issues.add(
            MANIFEST,
            f"YAML 语法错误（{at}）：{reason}。",
            "请改正该行的缩进、冒号或引号后重试。",
            feature=at,
        )
        return None
    if not isinstance(data, dict):
        issues.add(MANIFEST, "package.yaml 的内容不是键值映射。", "请按规范第 4 节的格式编写。")
        return None
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            message, action = _describe(err)
            issues.add(MANIFEST, message, action, feature=_loc(err["loc"]))
        return None


def unsafe_path(root: Path, rel: str) -> str | None:
    """Why ``rel`` may not be used (absolute, escaping the package, zip-slip), or None if safe."""
    if not rel or not rel.strip():
        return "路径为空。"
    if (
        PurePosixPath(rel).is_absolute()
        or PureWindowsPath(rel).is_absolute()
        or (PureWindowsPath(rel).drive)
    ):
        return f"路径 {rel} 是绝对路径，数据包内只允许相对路径。"
    if ".." in PurePosixPath(rel.replace("\\", "/")).parts:
        return f"路径 {rel} 含有 “..”，指向数据包文件夹之外。"
    base = root.resolve()
    full = (root / rel).resolve()
    if not full.is_relative_to(base):
        return f"路径 {rel} 经符号链接指向数据包文件夹之外（{full}）。"
    if full.suffix.lower() == ".zip" and full.is_file():
        try:
            with zipfile.ZipFile(full) as zf:
                names = zf.namelist()
        except zipfile.BadZipFile:
            return None  # reported as unreadable by the reader
        evil = [n for n in names if _escapes(n)]
        if evil:
            return (
                f"压缩包含有指向包外的条目（{'、'.join(evil[:5])}），存在路径穿越（zip-slip）风险。"
            )
    return None


def _escapes(member: str) -> bool:
    norm = member.replace("\\", "/")
    return norm.startswith("/") or ".." in PurePosixPath(norm).parts or ":" in norm.split("/")[0]


def check_paths(root: Path, manifest: Manifest, issues: Issues) -> set[str]:
    """Report every unsafe path of the manifest; return the set of unsafe paths (not to be read)."""
    bad: set[str] = set()
    for rel in manifest.paths():
        reason = unsafe_path(root, rel)
        if reason:
            bad.add(rel)
            issues.add(
                rel,
                reason,
                "请把文件放进数据包文件夹内，并在 package.yaml 中使用相对路径。",
                feature="",
            )
    return bad
