"""package.yaml: safe paths, YAML errors with line numbers, Chinese messages for schema errors."""

from __future__ import annotations

import os
import zipfile
from datetime import date
from pathlib import Path

import pytest

from gisaudit.layers.common import Issues, parse_date
from gisaudit.layers.manifest import load_manifest, unsafe_path
from tests.factories import make_package


@pytest.mark.parametrize(
    ("rel", "phrase"),
    [
        ("/etc/passwd", "绝对路径"),
        ("C:\\data\\x.gpkg", "绝对路径"),
        ("../x.gpkg", "之外"),
        ("landuse/../../x.gpkg", "之外"),
        ("", "路径为空"),
    ],
)
def test_unsafe_paths_are_rejected(tmp_path: Path, rel: str, phrase: str) -> None:
    reason = unsafe_path(tmp_path, rel)
    assert reason is not None and phrase in reason


def test_safe_path_and_inside_symlink_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "a.gpkg").write_bytes(b"x")
    os.symlink(tmp_path / "a.gpkg", tmp_path / "b.gpkg")
    assert unsafe_path(tmp_path, "a.gpkg") is None
    assert unsafe_path(tmp_path, "b.gpkg") is None


@pytest.mark.parametrize("member", ["../evil.shp", "/abs/evil.shp", "a/../../evil.shp"])
def test_zip_slip_entries_are_rejected(tmp_path: Path, member: str) -> None:
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as zf:
        zf.writestr("ok.shp", b"")
        zf.writestr(member, b"")
    reason = unsafe_path(tmp_path, "a.zip")
    assert reason is not None and "zip-slip" in reason


def test_yaml_error_names_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "package.yaml").write_text("name: x\ndistricts: {path: a.gpkg\nlanduse: []\n")
    issues = Issues()
    assert load_manifest(tmp_path, issues) is None
    (problem,) = issues.problems
    assert "YAML 语法错误" in problem.message and "第 3 行" in problem.message


def test_every_schema_error_is_reported(tmp_path: Path) -> None:
    (tmp_path / "package.yaml").write_text(
        "landuse:\n  - {vintage: soon, path: a.gpkg, colour: red}\n"
        "zones: {forest: {path: f.gpkg}}\n"
    )
    issues = Issues()
    assert load_manifest(tmp_path, issues) is None
    text = "\n".join(str(p) for p in issues.problems)
    for phrase in ("缺少必填项 districts", "缺少必填项 tenures", "landuse[1].vintage",
                   "未知的键 landuse[1].colour", "未知的键 zones.forest"):  # fmt: skip
        assert phrase in text


def test_manifest_of_factory_package_parses(tmp_path: Path) -> None:
    root = make_package(tmp_path)
    manifest = load_manifest(root, Issues())
    assert manifest is not None
    assert [v.vintage for v in manifest.landuse] == [date(2018, 12, 31), date(2023, 12, 31)]
    assert manifest.zones.approvals is not None and manifest.zones.approvals.date_field == "PZRQ"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-12-31", date(2018, 12, 31)),
        ("2018/1/5", date(2018, 1, 5)),
        ("2018年12月31日", date(2018, 12, 31)),
        ("2018-02-30", None),
        ("2018", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected
