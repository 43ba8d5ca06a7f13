"""Mapbox vector tiles decode to the expected features."""

from __future__ import annotations

import mapbox_vector_tile

from tests.api.conftest import OTHER, OWN
from tests.factories import DEFAULT_VINTAGES

Z, X, Y = 12, 3379, 1565  # a tile over the test districts (≈117.0°E 39.0°N)


def decode(api, path: str, user: str | None = "viewer", **kwargs) -> dict:
    r = api.get(path, user, **kwargs)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(r.content)


def test_tile_coordinates_cover_the_districts():
    from api.tiles import tile_lonlat_bbox

    lon0, lat0, lon1, lat1 = tile_lonlat_bbox(Z, X, Y)
    assert lon0 < 117.0 < lon1 and lat0 < 39.0 < lat1


def test_landuse_tile(api):
    tile = decode(api, f"/tiles/landuse-{api.package_id}-2018-12-31/{Z}/{X}/{Y}.mvt")
    layer = tile[f"landuse-{api.package_id}-2018-12-31"]
    assert layer["extent"] == 4096
    codes = sorted(f["properties"]["dlbm"] for f in layer["features"])
    assert len(codes) == 8 and set(codes) == {"0101", "0301", "0702", "1101"}
    assert all(f["geometry"]["type"] == "Polygon" for f in layer["features"])
    low = decode(api, f"/tiles/landuse-{api.package_id}-2018-12-31/5/26/12.mvt")
    assert low[f"landuse-{api.package_id}-2018-12-31"]["features"] == []


def test_leads_changes_zones_districts_tiles(api):
    leads = decode(api, f"/tiles/leads/{Z}/{X}/{Y}.mvt")["leads"]["features"]
    assert len(leads) == 6 and {f["properties"]["severity"] for f in leads} == {"critical", "high"}
    changes = decode(api, f"/tiles/changes/{Z}/{X}/{Y}.mvt", params={"tenure_id": "T120110a"})
    feats = changes["changes"]["features"]
    assert feats and all(f["properties"]["tenure_id"] == "T120110a" for f in feats)
    assert {(f["properties"]["from_code"], f["properties"]["to_code"]) for f in feats} == {
        ("0101", "0702")
    }
    pbf = decode(api, f"/tiles/zones-{api.package_id}-pbf/{Z}/{X}/{Y}.mvt")
    assert len(pbf[f"zones-{api.package_id}-pbf"]["features"]) == 1
    districts = decode(api, f"/tiles/districts/{Z}/{X}/{Y}.mvt", None)["districts"]["features"]
    assert OWN in {f["properties"]["code"] for f in districts}


def test_far_away_and_bad_tiles(api):
    empty = decode(api, "/tiles/leads/12/0/0.mvt")
    assert empty.get("leads", {"features": []})["features"] == []
    assert api.get("/tiles/leads/3/9/0.mvt", "viewer").status_code == 404
    assert api.get("/tiles/nope-x/3/1/1.mvt", "viewer").status_code == 404
    assert (
        api.get(f"/tiles/landuse-{api.package_id}-2018-12-31/12/1/1.mvt", None).status_code == 401
    )
    layers = api.get("/tiles", "viewer").json()["layers"]
    assert {"leads", "districts", "changes"} <= {x["id"] for x in layers}


def test_coastline_tile(api):
    name = f"coastline-{api.package_id}-2018-12-31"
    layer = decode(api, f"/tiles/{name}/{Z}/{X}/{Y}.mvt")[name]
    feats = layer["features"]
    assert len(feats) == 2
    assert all(f["geometry"]["type"] == "LineString" for f in feats)
    assert sorted((f["properties"]["axlx"], f["properties"]["coast_class"]) for f in feats) == [
        ("人工岸线", "artificial"),
        ("淤泥质岸线", "natural"),
    ]
    # every coastline vintage is listed; the tiles need a sign-in like land use and zones
    listed = {x["id"] for x in api.get("/tiles", "viewer").json()["layers"]}
    coast = {f"coastline-{api.package_id}-{v}" for v in DEFAULT_VINTAGES}
    assert coast <= listed
    assert api.get(f"/tiles/{name}/{Z}/{X}/{Y}.mvt", None).status_code == 401
    missing = f"/tiles/coastline-{api.package_id}-1999-12-31/{Z}/{X}/{Y}.mvt"
    assert api.get(missing, "viewer").status_code == 404


def overview(api, path: str, user: str | None = "viewer", **params: str):
    """An overview tile decoded by Pillow (height × width × RGBA)."""
    import io

    import numpy as np
    from PIL import Image

    r = api.get(path, user, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    return np.asarray(Image.open(io.BytesIO(r.content)).convert("RGBA"))


def test_landuse_overview_tile(api):
    from gisaudit.reports.styles import default_style

    style = default_style()
    name = f"landuse-{api.package_id}-2018-12-31"
    path = f"/tiles/{name}/{Z}/{X}/{Y}.png"
    own = overview(api, path, theme="farmland", district_code=OWN)
    other = overview(api, path, theme="farmland", district_code=OTHER)
    farmland = tuple(int(style.theme_maps["farmland"][i : i + 2], 16) for i in (1, 3, 5))
    for image in (own, other):  # each district's 0101 patches, in the theme's colour
        painted = image[..., 3] > 0
        assert painted.sum() > 100
        assert {tuple(p) for p in image[painted][:, :3]} == {farmland}
    assert not ((own[..., 3] > 0) & (other[..., 3] > 0)).any()
    grouped = overview(api, path)  # every class in its group's colour
    colours = {tuple(p) for p in grouped[grouped[..., 3] > 0][:, :3]}
    groups = {"farmland", "forest_land", "built", "water_facilities"}  # 0101 0301 0702 1101
    assert colours == {
        tuple(int(style.group_colours[g][i : i + 2], 16) for i in (1, 3, 5)) for g in groups
    }
    assert api.get(path, "viewer", params={"theme": "nope"}).status_code == 422
    assert api.get(path, "viewer", params={"district_code": "12"}).status_code == 422
    assert api.get(path, None).status_code == 401
    pbf = f"/tiles/zones-{api.package_id}-pbf/{Z}/{X}/{Y}.png"
    assert api.get(pbf, "viewer").status_code == 404
    listed = {x["id"]: x for x in api.get("/tiles", "viewer").json()["layers"]}
    assert listed[name]["overview"]["tiles"][0].endswith(f"/tiles/{name}/{{z}}/{{x}}/{{y}}.png")
    assert "overview" not in listed["leads"]
