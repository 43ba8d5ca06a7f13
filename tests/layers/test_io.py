"""Reading vector files through real GDAL drivers: encodings, zips, FileGDB, fingerprints."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from gisaudit.errors import LayerReadError
from gisaudit.layers.io import dbf_encoding, dbf_text, fingerprint, read_vector
from tests.factories import landuse_frame, write_layer


def _dbf(records: bytes, name: bytes = b"DLMC") -> bytes:
    header_len = 32 + 32 + 1
    head = b"\x03" + b"\x7c\x01\x01" + struct.pack("<IHH", 1, header_len, len(records) + 1)
    head += b"\x00" * 20
    field = name.ljust(11, b"\x00") + b"C" + b"\x00" * 4 + bytes([254]) + b"\x00" * 15
    return head + field + b"\r" + b" " + records + b"\x1a"


def test_dbf_text_skips_binary_field_descriptors() -> None:
    raw = _dbf("水田".encode())
    assert dbf_text(raw) == b"DLMC" + b" " + "水田".encode()
    assert dbf_encoding(raw) == "UTF-8"  # 254 (field length byte) must not break UTF-8 detection


@pytest.mark.parametrize(
    ("data", "cpg", "expected"),
    [
        ("水田".encode(), None, "UTF-8"),
        ("水田".encode("gbk"), None, "GB18030"),
        ("水田".encode("gbk"), "UTF-8", "GB18030"),  # a wrong .cpg is overruled by the bytes
        ("水田".encode("gbk"), "936", "GB18030"),
        (b"plain ascii", "1252", "CP1252"),
    ],
)
def test_dbf_encoding_detection(data: bytes, cpg: str | None, expected: str) -> None:
    assert dbf_encoding(_dbf(data), cpg) == expected


def test_dbf_encoding_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        dbf_encoding(_dbf(b"\xff\xfe\xff"))


def test_missing_file_is_a_layer_read_error(tmp_path: Path) -> None:
    with pytest.raises(LayerReadError) as err:
        read_vector(tmp_path, "nope.gpkg")
    assert err.value.problem.file == "nope.gpkg" and "文件不存在" in str(err.value)


def test_multi_layer_file_needs_a_layer_name(tmp_path: Path) -> None:
    frame = landuse_frame()
    write_layer(frame, tmp_path, "two", "gpkg", layer="A")
    write_layer(frame, tmp_path, "two", "gpkg", layer="B")
    with pytest.raises(LayerReadError) as err:
        read_vector(tmp_path, "two.gpkg")
    assert "多个图层" in str(err.value) and "A、B" in str(err.value)
    got = read_vector(tmp_path, "two.gpkg", "B")
    assert len(got) == 8 and got.attrs["layer"] == "B"


def test_filegdb_and_zip_read_with_chinese(tmp_path: Path) -> None:
    frame = landuse_frame()
    write_layer(frame, tmp_path, "a", "gdb", layer="DLTB")
    write_layer(frame, tmp_path, "b", "zip", encoding="GBK", cpg=False)
    for path, layer in (("a.gdb", "DLTB"), ("b.zip", None)):
        got = read_vector(tmp_path, path, layer)
        assert got["DLMC"].tolist() == frame["DLMC"].tolist()
        assert got.crs.to_epsg() == 4527


def test_fingerprint_changes_with_content(tmp_path: Path) -> None:
    frame = landuse_frame()
    write_layer(frame, tmp_path, "s", "shp")
    before = fingerprint(tmp_path, "s.shp")
    assert len(before) == 64 and before == fingerprint(tmp_path, "s.shp")
    dbf = tmp_path / "s.dbf"  # a sidecar change must change the Shapefile's fingerprint
    dbf.write_bytes(dbf.read_bytes().replace(b"0101", b"0102"))
    assert fingerprint(tmp_path, "s.shp") != before
