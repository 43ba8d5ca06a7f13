"""Data packages: upload (with limits), registration, validation problems as JSON."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from gisaudit.errors import NotFoundError
from tests.factories import make_package, read_manifest, write_manifest


def zip_folder(folder: Path, prefix: str = "") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, prefix + path.relative_to(folder).as_posix())
    return buf.getvalue()


def upload(api, data: bytes, user: str = "admin", name: str = "pkg.zip"):
    return api.post("/api/packages", user, files={"file": (name, data, "application/zip")})


def test_upload_valid_package(api, tmp_path):
    root = make_package(tmp_path, coastline=False)
    r = upload(api, zip_folder(root, prefix="我的数据包/"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["validation"]["ok"] is True and body["validation"]["problems"] == []
    assert body["package"]["vintages"] == ["2018-12-31", "2023-12-31"]
    assert "path" not in body["package"]
    pid = body["package"]["id"]
    assert pid in [p["id"] for p in api.get("/api/packages", "viewer").json()]
    assert api.post(f"/api/packages/{pid}/validate").json()["ok"] is True
    assert api.client.delete(f"/api/packages/{pid}", headers=api.as_("admin")).status_code == 204
    assert api.get(f"/api/packages/{pid}").status_code == 404


def test_invalid_package_lists_every_problem_and_is_not_kept(api, tmp_path):
    root = make_package(tmp_path)
    manifest = read_manifest(root)
    manifest["landuse"].reverse()  # vintages out of order
    write_manifest(root, manifest)
    (root / "tenures.csv").write_text(
        "id,district_code,official,position,start,end\nT1,120110,张,区长,2020-01-01,2019-01-01\n",
        encoding="utf-8",
    )
    before = len(api.get("/api/packages").json())
    r = upload(api, zip_folder(root))
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid_package"
    messages = " ".join(p["message"] for p in body["problems"])
    assert "未按时间先后排列" in messages and "早于开始日期" in messages
    assert all(
        set(p) == {"file", "layer", "feature", "message", "action"} for p in body["problems"]
    )
    assert len(api.get("/api/packages").json()) == before


def test_upload_too_large_is_413(api):
    r = upload(api, b"0" * (api.settings.max_upload_bytes + 2 * 1024 * 1024))
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"


def _zip(entries: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("entries", "status", "words"),
    [
        ({"../evil.txt": b"x", "package.yaml": b"name: x"}, 422, "../"),
        ({"/etc/evil": b"x"}, 422, "绝对路径"),
        ({f"f{i}.txt": b"x" for i in range(300)}, 422, "条目"),
        ({"package.yaml": b"name: x", "bomb.bin": b"\0" * (4 * 1024 * 1024)}, 413, "解压后"),
        ({"notes.txt": b"no manifest"}, 422, "package.yaml"),
    ],
)
def test_unsafe_or_oversized_zips(api, entries, status, words):
    r = upload(api, _zip(entries))
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]


def test_compression_ratio_limit(api, tmp_path):
    from api.archive import ZipLimits, unpack
    from gisaudit.errors import InputError

    path = tmp_path / "bomb.zip"
    path.write_bytes(_zip({"zeros.bin": b"\0" * (2 * 1024 * 1024)}))
    limits = ZipLimits(
        max_upload_bytes=10**9, max_unpacked_bytes=10**9, max_entries=10, max_ratio=100
    )
    with pytest.raises(InputError, match="压缩比异常"):
        unpack(path, tmp_path / "out", limits)
    assert not (tmp_path / "out").exists()


def test_not_a_zip(api):
    r = upload(api, b"this is not a zip")
    assert r.status_code == 422 and "zip" in r.json()["detail"]


def test_only_admin_adds_packages(api, tmp_path):
    for user in ("viewer", "auditor", "reviewer"):
        assert upload(api, b"x", user).status_code == 403
        assert api.post("/api/packages/register", user, json={"path": "/tmp"}).status_code == 403
    assert upload(api, b"x", None).status_code == 401


def test_register_folder_checks(api, tmp_path):
    r = api.post("/api/packages/register", json={"path": "relative/folder"})
    assert r.status_code == 422 and "绝对路径" in r.json()["detail"]
    r = api.post("/api/packages/register", json={"path": str(tmp_path)})
    assert r.status_code == 422 and "package.yaml" in r.json()["detail"]
    pkg = api.get(f"/api/packages/{api.package_id}", "viewer").json()
    assert pkg["districts"] == [
        {"code": "120110", "name": "东丽区"},
        {"code": "120111", "name": "西青区"},
    ]
    assert sorted(pkg["zones"]) == ["approvals", "pbf", "redline"]


def test_indexed_layers_are_kept_out_of_the_garbage_collectors_scans(tmp_path):
    """The geometries of a package's indexed layers are frozen (``gc.freeze``): full
    collections in later requests do not scan them."""
    import gc

    from api.packages import PackageStore
    from api.settings import Settings

    store = PackageStore(Settings(data_dir=tmp_path / "data", secret_key="k" * 40))
    record, _ = store.register_folder(str(make_package(tmp_path, grid=8)), "admin")
    try:
        layers = store.layers(record.id)
        landuse = next(x for k, x in layers.items() if k.startswith("landuse-"))
        geoms = landuse.geometries(range(len(landuse)))
        assert len(geoms) == 128 and all(gc.is_tracked(g) for g in geoms)
        scanned = {id(o) for generation in (0, 1, 2) for o in gc.get_objects(generation)}
        assert not any(id(g) in scanned for g in geoms)  # in the permanent generation
        frozen = gc.get_freeze_count()
        assert frozen > len(geoms)
        gc.collect()  # collections leave the frozen objects alone
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_layers_are_built_one_by_one_on_first_use(tmp_path) -> None:
    from api.layers import PackageLayers
    from gisaudit.layers.package import load_package

    package = load_package(make_package(tmp_path, grid=8))
    built: list[int] = []
    layers = PackageLayers("p", package, on_built=lambda: built.append(1))
    ids = list(layers)
    landuse = [i for i in ids if i.startswith("landuse-")]
    zones = [i for i in ids if i.startswith("zones-")]
    assert len(landuse) >= 2 and zones and layers.built == []
    first = layers[landuse[0]]  # the first tile of one vintage ...
    assert layers.built == [landuse[0]] and len(built) == 1  # ... decodes that vintage only
    assert zones[0] in layers and layers.built == [landuse[0]]  # asking does not build
    assert layers[landuse[0]] is first and len(built) == 1  # kept
    assert len(first) == 128 and first.when.isoformat() == landuse[0].split("-", 2)[2]
    zone = layers[zones[0]]
    assert len(zone) > 0 and set(zone.frame["zone"]) == {zones[0].split("-", 2)[2]}
    assert layers.built == [landuse[0], zones[0]]
    with pytest.raises(KeyError):
        layers["zones-p-nosuchzone"]


def test_the_store_builds_the_other_layers_in_the_background(tmp_path) -> None:
    from api.packages import PackageStore
    from api.settings import Settings

    store = PackageStore(Settings(data_dir=tmp_path / "data", secret_key="k" * 40))
    record, _ = store.register_folder(str(make_package(tmp_path, grid=8)), "admin")
    layers = store.layers(record.id)
    assert layers.built == []
    newest = max(i for i in layers if i.startswith("landuse-"))
    assert len(store.layer(newest)) == 128
    layers.warm().join(timeout=120)  # started by that first request
    assert sorted(layers.built) == sorted(layers) and layers.built[0] == newest
    with pytest.raises(NotFoundError):
        store.layer(f"zones-{record.id}-nosuchzone")
