"""THE module that opens vector files: GeoPackage, Shapefile (also zipped), FileGDB, GeoParquet,
GeoJSON; plus file fingerprints.

Shapefile text encoding: the ``.cpg`` is trusted when the bytes decode with it; otherwise the
.dbf is decoded strictly as UTF-8 and, failing that, as GB18030 (a superset of GBK, which is
what Chinese survey deliveries usually use without saying so).
"""

from __future__ import annotations

import hashlib
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio

from gisaudit.errors import LayerReadError, Problem

VECTOR_SUFFIXES = (".gpkg", ".shp", ".zip", ".gdb", ".parquet", ".geoparquet", ".geojson", ".json")

_CPG_ALIASES = {
    "UTF-8": "UTF-8",
    "UTF8": "UTF-8",
    "65001": "UTF-8",
    "GBK": "GB18030",
    "CP936": "GB18030",
    "936": "GB18030",
    "GB2312": "GB18030",
    "GB18030": "GB18030",
    "54936": "GB18030",
    "1252": "CP1252",
    "88591": "ISO-8859-1",
}


def _fail(path: str, message: str, action: str, layer: str = "") -> LayerReadError:
    return LayerReadError(Problem(path, message, action, layer=layer))


def dbf_text(dbf: bytes) -> bytes:
    """The text bytes of a .dbf: field names and records, without the binary descriptors."""
    if len(dbf) < 32:
        return b""
    header_len = int.from_bytes(dbf[8:10], "little")
    names = b"".join(dbf[i : i + 11].split(b"\x00")[0] for i in range(32, header_len - 1, 32))
    return names + dbf[header_len:].rstrip(b"\x1a")


def dbf_encoding(dbf: bytes, cpg: str | None = None) -> str:
    """The encoding to read a .dbf with (see module docstring); ValueError when none fits."""
    text = dbf_text(dbf)
    candidates = []
    if cpg and cpg.strip():
        declared = cpg.strip().upper()
        candidates.append(_CPG_ALIASES.get(declared, declared))
    candidates += ["UTF-8", "GB18030"]
    for enc in candidates:
        try:
            text.decode(enc, errors="strict")
        except (UnicodeDecodeError, LookupError):
            continue
        return enc
    raise ValueError("dbf bytes are neither UTF-8 nor GB18030")


def _zip_member_bytes(archive: Path, member: str) -> bytes | None:
    with zipfile.ZipFile(archive) as zf:
        try:
            return zf.read(member)
        except KeyError:
            return None


def _shapefile_source(full: Path, rel: str, layer: str | None) -> tuple[str, str | None]:
    """GDAL source string and .dbf encoding for a .shp or a zipped Shapefile."""
    if full.suffix.lower() == ".shp":
        dbf_path = full.with_suffix(".dbf")
        dbf = dbf_path.read_bytes() if dbf_path.exists() else b""
        cpg_path = full.with_suffix(".cpg")
        cpg = cpg_path.read_text("ascii", errors="replace") if cpg_path.exists() else None
        return str(full), dbf_encoding(dbf, cpg) if dbf else None
    try:
        with zipfile.ZipFile(full) as zf:
            shps = [n for n in zf.namelist() if n.lower().endswith(".shp")]
    except zipfile.BadZipFile as exc:
        raise _fail(rel, "压缩包已损坏，无法打开。", "请重新打包或重新拷贝该 .zip 文件。") from exc
    if layer:
        shps = [n for n in shps if Path(n).stem == layer] or shps
    if not shps:
        raise _fail(
            rel, "压缩包中没有 Shapefile（.shp）。", "请确认压缩包内含 .shp/.shx/.dbf/.prj。"
        )
    if len(shps) > 1:
        names = "、".join(Path(n).stem for n in shps)
        raise _fail(
            rel, f"压缩包中有多个 Shapefile（{names}）。", "请在 package.yaml 中用 layer 指明。"
        )
    member = shps[0]
    stem = member[: -len(".shp")]
    dbf = _zip_member_bytes(full, stem + ".dbf") or b""
    cpg_bytes = _zip_member_bytes(full, stem + ".cpg")
    cpg = cpg_bytes.decode("ascii", errors="replace") if cpg_bytes else None
    return f"/vsizip/{full}/{member}", dbf_encoding(dbf, cpg) if dbf else None


def layer_name(source: Path | str, layer: str | None, rel: str) -> str | None:
    """Check ``layer`` exists in the source (or that there is only one); return the layer."""
    try:
        names = [str(n) for n in pyogrio.list_layers(source)[:, 0]]
    except Exception as exc:
        raise _fail(
            rel,
            f"文件无法读取（可能已损坏或被截断）：{exc}",
            "请重新导出或重新拷贝该文件，并用 GIS 软件确认能打开。",
        ) from exc
    if layer is not None:
        if layer not in names:
            raise _fail(
                rel,
                f"文件中没有图层 {layer}（现有图层：{'、'.join(names) or '无'}）。",
                "请改正 package.yaml 中的 layer，或补充该图层。",
                layer=layer,
            )
        return layer
    if len(names) > 1:
        raise _fail(
            rel,
            f"文件含多个图层（{'、'.join(names)}），无法确定读取哪一个。",
            "请在 package.yaml 中用 layer 指明图层名。",
        )
    return names[0] if names else None


def read_vector(root: Path | str, path: str, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read one vector layer of a package (path relative to ``root``) as a GeoDataFrame.

    The index is the feature id (FID); ``frame.attrs["layer"]`` is the layer read. Raises
    LayerReadError (Chinese message) when the file is
    missing, unreadable, of an unsupported format, or its text cannot be decoded.
    """
    full = Path(root) / path
    if not full.exists():
        raise _fail(
            path, "文件不存在。", "请检查 package.yaml 中的路径，或补充该文件。", layer or ""
        )
    suffix = full.suffix.lower()
    if suffix not in VECTOR_SUFFIXES:
        raise _fail(
            path,
            f"不支持的矢量格式 {suffix or '（无扩展名）'}。",
            "请转换为 GeoPackage、Shapefile、FileGDB、GeoParquet 或 GeoJSON。",
        )
    if suffix in (".parquet", ".geoparquet"):
        try:
            return gpd.read_parquet(full)
        except Exception as exc:
            raise _fail(path, f"GeoParquet 文件无法读取：{exc}", "请重新导出该文件。") from exc
    encoding = None
    source: str = str(full)
    if suffix in (".shp", ".zip"):
        try:
            source, encoding = _shapefile_source(full, path, layer)
        except ValueError as exc:
            raise _fail(
                path,
                "属性表（.dbf）的文字编码无法识别：既不是 UTF-8 也不是 GBK/GB18030。",
                "请用 GIS 软件按正确编码重新导出，并附带 .cpg 文件注明编码。",
            ) from exc
        layer = None  # a Shapefile has exactly one layer
    name = layer_name(source, layer, path)
    errors: list[str] = []
    for use_arrow in (True, False):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frame = pyogrio.read_dataframe(
                    source, layer=name, encoding=encoding, use_arrow=use_arrow, fid_as_index=True
                )
            frame.attrs["layer"] = name or ""
            return frame
        except Exception as exc:
            errors.append(str(exc))
    raise _fail(
        path,
        f"图层无法读取（文件可能已损坏或被截断）：{errors[-1]}",
        "请重新导出或重新拷贝该文件，并用 GIS 软件确认能打开。",
        name or "",
    )


def fingerprint(root: Path | str, path: str) -> str:
    """sha256 (hex) of an input: a file; a Shapefile with its sidecars; a .gdb folder's files."""
    full = Path(root) / path
    digest = hashlib.sha256()
    if full.is_dir():
        files = sorted(p for p in full.rglob("*") if p.is_file())
    elif full.suffix.lower() == ".shp":
        files = sorted(p for p in full.parent.glob(full.stem + ".*") if p.is_file())
    else:
        files = [full]
    for file in files:
        if len(files) > 1:
            digest.update(file.relative_to(full.parent).as_posix().encode())
        with file.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
