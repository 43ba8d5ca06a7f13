"""Stored data packages: uploaded zips and registered server folders, validated all-or-nothing.

Layout under ``<data dir>/packages/<id>/``: ``record.json`` (what the API lists) and, for
uploads, ``data/`` (the unpacked package). A package without ``record.json`` does not exist
(an upload is only recorded once it validated). Loaded packages and their indexed layers are
cached (a few at a time).
"""

from __future__ import annotations

import ctypes
import gc
import json
import math
import threading
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from api.archive import ZipLimits, package_root, remove_tree, save_upload, unpack
from api.errors import PermissionDeniedError
from api.layers import LayerIndex, PackageLayers
from api.settings import Settings
from gisaudit.errors import GisAuditError, InputError, NotFoundError, PackageError
from gisaudit.layers.model import AuditPackage
from gisaudit.layers.package import ValidationReport, load_package, validate_package

RECORD = "record.json"
CACHE_SIZE = 3


@dataclass(frozen=True)
class PackageRecord:
    """What is known about a stored package without loading it."""

    id: str
    name: str
    source: str  # "upload" or "folder"
    path: str  # absolute folder holding package.yaml (never sent to clients)
    created_at: str
    created_by: str
    crs: str
    vintages: list[str]
    zones: list[str]
    districts: list[dict[str, str]]
    tenures: list[dict[str, Any]]
    bbox: list[float]
    repaired: int = 0
    notes: list[str] = field(default_factory=list)
    coastlines: list[str] | None = None  # coastline vintages; None in records made before


def _record(
    pid: str, source: str, root: Path, user: str, report: ValidationReport
) -> PackageRecord:
    package = report.package
    assert package is not None
    bbox = [float(v) for v in package.districts.to_crs(4326).total_bounds]
    tenures = [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
        for row in package.tenures.to_dict("records")
    ]
    return PackageRecord(
        id=pid,
        name=package.name,
        source=source,
        path=str(root.resolve()),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        created_by=user,
        crs=f"EPSG:{package.crs.to_epsg()}" if package.crs.to_epsg() else package.crs.to_string(),
        vintages=[v.isoformat() for v in package.vintages],
        zones=sorted(package.zones),
        districts=[
            {"code": str(c), "name": str(n)}
            for c, n in zip(
                package.districts["district_code"], package.districts["name"], strict=True
            )
        ],
        tenures=[{k: (None if v != v else v) for k, v in t.items()} for t in tenures],
        bbox=bbox if all(map(math.isfinite, bbox)) else [-180, -90, 180, 90],
        repaired=report.repaired,
        notes=list(report.notes),
        coastlines=[c.vintage.isoformat() for c in package.coastline],
    )


def settle_heap() -> None:
    """Keep the cyclic garbage collector off a package's indexed layers: collect everything
    once, then freeze what is alive (``gc.freeze``), so that later collections scan only newer
    objects. A vintage at survey scale is a million shapely geometries, which Python tracks:
    every full collection would scan them all (~40 ms a million, ~0.3 s for a package of six
    vintages), and such collections fall inside tile requests (the tiles' p95). Frozen objects
    are still freed by reference counting when a package is forgotten; unfreezing first lets
    this collection also reclaim any cycles a forgotten package left."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def return_free_memory() -> None:
    """Collect garbage and hand the heap's free pages back to the system (glibc's
    ``malloc_trim``; elsewhere only the collection). Validating a survey-size package frees
    gigabytes that the allocator otherwise keeps for this process, and an evaluation on top
    of them can run the server out of memory."""
    gc.collect()
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:
        trim(0)


class PackageStore:
    """The stored packages of one data folder."""

    def __init__(self, settings: Settings) -> None:
        self.root = Path(settings.data_dir) / "packages"
        self.tmp = Path(settings.data_dir) / "tmp"
        self.settings = settings
        self.limits = ZipLimits(
            max_upload_bytes=settings.max_upload_bytes,
            max_unpacked_bytes=settings.max_unpacked_bytes,
            max_entries=settings.max_zip_entries,
            max_ratio=settings.max_zip_ratio,
        )
        self._lock = threading.RLock()
        self._cache: OrderedDict[str, tuple[AuditPackage, PackageLayers | None]] = (
            OrderedDict()
        )

    # -- records ----------------------------------------------------------------------------

    def list(self) -> list[PackageRecord]:
        """Every stored package, oldest first."""
        if not self.root.is_dir():
            return []
        records = []
        for path in sorted(self.root.glob(f"*/{RECORD}")):
            try:
                records.append(PackageRecord(**json.loads(path.read_text("utf-8"))))
            except (OSError, ValueError, TypeError):
                continue
        return sorted(records, key=lambda r: (r.created_at, r.id))

    def get(self, pid: str) -> PackageRecord:
        """One package's record, or NotFoundError."""
        path = self.root / pid / RECORD
        if not pid.isalnum() or not path.is_file():
            raise NotFoundError(
                f"未找到数据包“{pid}”。请先上传或登记数据包（GET /api/packages 可查看）。"
            )
        return PackageRecord(**json.loads(path.read_text("utf-8")))

    def _save(self, record: PackageRecord) -> None:
        folder = self.root / record.id
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{RECORD}.tmp"
        tmp.write_text(json.dumps(asdict(record), ensure_ascii=False, indent=1), "utf-8")
        tmp.replace(folder / RECORD)

    # -- adding -----------------------------------------------------------------------------

    def add_upload(self, source: BinaryIO, user: str) -> tuple[PackageRecord, ValidationReport]:
        """Unpack and validate an uploaded zip; store it only if it is valid (PackageError)."""
        pid = uuid.uuid4().hex[:12]
        self.tmp.mkdir(parents=True, exist_ok=True)
        upload = self.tmp / f"upload-{pid}.zip"
        data = self.root / pid / "data"
        try:
            save_upload(source, upload, self.limits)
            unpack(upload, data, self.limits)
            root = package_root(data)
            report = validate_package(root)
            if not report.ok:
                raise PackageError(report.problems, root=root.name)
            record = _record(pid, "upload", root, user, report)
            self._save(record)
        except BaseException:
            remove_tree(self.root / pid)
            raise
        finally:
            upload.unlink(missing_ok=True)
        self._remember(pid, _compact(report.package))
        return record, report

    def register_folder(self, folder: str, user: str) -> tuple[PackageRecord, ValidationReport]:
        """Register a package folder on the server (validated; nothing is copied)."""
        path = Path(folder).expanduser()
        if not path.is_absolute():
            raise InputError(f"请给出服务器上数据包文件夹的绝对路径（收到“{folder}”）。")
        path = path.resolve()
        roots = self.settings.package_roots
        if roots and not any(path == r or r in path.parents for r in roots):
            raise PermissionDeniedError(
                "该文件夹不在允许登记的目录（GISAUDIT_PACKAGE_ROOTS）之内。请联系管理员。"
            )
        if not (path / "package.yaml").is_file():
            raise InputError("该文件夹中没有数据包清单 package.yaml。请检查路径。")
        report = validate_package(path)
        if not report.ok:
            raise PackageError(report.problems, root=path.name)
        pid = uuid.uuid4().hex[:12]
        record = _record(pid, "folder", path, user, report)
        self._save(record)
        self._remember(pid, _compact(report.package))
        return record, report

    def revalidate(self, pid: str) -> ValidationReport:
        """Validate a stored package again (its files may have changed)."""
        report = validate_package(Path(self.get(pid).path))
        with self._lock:
            self._cache.pop(pid, None)
        return report

    def delete(self, pid: str) -> None:
        """Forget a package (an uploaded one's files are deleted; a folder stays)."""
        self.get(pid)
        with self._lock:
            self._cache.pop(pid, None)
        remove_tree(self.root / pid)

    # -- loading ----------------------------------------------------------------------------

    def _remember(self, pid: str, package: AuditPackage | None) -> None:
        if package is None:
            return
        with self._lock:
            self._cache[pid] = (package, None)
            self._cache.move_to_end(pid)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)

    def load(self, pid: str) -> AuditPackage:
        """The loaded package (cached; PackageError if it no longer validates)."""
        with self._lock:
            if pid in self._cache:
                self._cache.move_to_end(pid)
                return self._cache[pid][0]
            package = load_package(self.get(pid).path)
            self._remember(pid, package)
            return package

    def layers(self, pid: str) -> PackageLayers:
        """The package's land-use vintages, zones and coastline vintages as indexed layers,
        each built on first use (cached)."""
        with self._lock:
            package = self.load(pid)
            cached = self._cache[pid][1]
            if cached is None:
                # a layer's geometries are decoded when it is built: millions of objects
                cached = PackageLayers(pid, package, on_built=settle_heap)
                self._cache[pid] = (package, cached)
            return cached

    def coastline_vintages(self, pid: str) -> list[str]:
        """The package's coastline vintages (ISO dates, oldest first); from its record, or
        loaded for records made before they were recorded ([] if it no longer loads)."""
        record = self.get(pid)
        if record.coastlines is not None:
            return sorted(record.coastlines)
        try:
            return sorted(c.vintage.isoformat() for c in self.load(pid).coastline)
        except GisAuditError:
            return []

    def layer(self, collection_id: str) -> LayerIndex:
        """One layer by collection id (``landuse-<pkg>-<date>``, ``zones-<pkg>-<kind>`` or
        ``coastline-<pkg>-<date>``)."""
        parts = collection_id.split("-", 2)
        if len(parts) == 3 and parts[0] in ("landuse", "zones", "coastline"):
            try:
                layers = self.layers(parts[1])
            except NotFoundError:
                layers = {}
            if collection_id in layers:
                layer = layers[collection_id]
                layers.warm()  # a map asks for the package's other layers next
                return layer
        raise NotFoundError(f"未找到图层“{collection_id}”。可用图层见 /ogc/collections。")


def _compact(package: AuditPackage | None) -> AuditPackage | None:
    """A validated package as the server keeps it: patch tables only (``AuditPackage.compact``);
    the validation's decoded frames (gigabytes at survey size) are let go."""
    return package.compact() if package is not None else None
