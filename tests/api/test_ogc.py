"""OGC API - Features walked the way QGIS does it: landing page -> conformance -> collections
-> items, following ``next`` links to the end."""

from __future__ import annotations

import pytest

from tests.api.conftest import OTHER, OWN

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON_CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"


def follow(api, href: str, user: str | None = "viewer") -> dict:
    r = api.client.get(href, headers=api.as_(user))
    assert r.status_code == 200, r.text
    return r.json()


def rel(body: dict, name: str) -> str:
    return next(x["href"] for x in body["links"] if x["rel"] == name)


def walk_items(api, first: str, user: str | None = "viewer") -> tuple[list[dict], int, int]:
    features, pages, matched = [], 0, None
    href: str | None = first
    while href:
        page = follow(api, href, user)
        pages += 1
        matched = page["numberMatched"] if matched is None else matched
        assert page["numberReturned"] == len(page["features"])
        features += page["features"]
        href = next((x["href"] for x in page["links"] if x["rel"] == "next"), None)
    return features, pages, matched or 0


def test_qgis_walk(api):
    landing = follow(api, "http://testserver/ogc")
    conf = follow(api, rel(landing, "conformance"))
    assert CORE in conf["conformsTo"] and GEOJSON_CONF in conf["conformsTo"]
    assert api.client.get(rel(landing, "service-desc")).json()["openapi"].startswith("3.")
    collections = follow(api, rel(landing, "data"))["collections"]
    ids = [c["id"] for c in collections]
    landuse = [i for i in ids if i.startswith(f"landuse-{api.package_id}-")]
    assert {"leads", "districts"} <= set(ids) and len(landuse) == 2
    for c in collections:
        assert c["itemType"] == "feature" and len(c["extent"]["spatial"]["bbox"][0]) == 4
        meta = follow(api, rel(c, "self"))
        assert meta["id"] == c["id"]
    # land use of 2018: 2 districts × 4 patches, 3 per page -> 3 pages
    col = next(c for c in collections if c["id"] == f"landuse-{api.package_id}-2018-12-31")
    features, pages, matched = walk_items(api, rel(col, "items") + "?limit=3")
    assert (len(features), pages, matched) == (8, 3, 8)
    assert len({f["id"] for f in features}) == 8
    assert {f["properties"]["dlbm"] for f in features} == {"0101", "0301", "0702", "1101"}
    one = follow(api, f"http://testserver/ogc/collections/{col['id']}/items/{features[0]['id']}")
    assert one["properties"]["bsm"] == features[0]["properties"]["bsm"]
    leads, _, matched = walk_items(api, "http://testserver/ogc/collections/leads/items?limit=4")
    assert matched == 6 and len(leads) == 6


def test_items_filters(api):
    base = "http://testserver/ogc/collections"
    vintage = f"{base}/landuse-{api.package_id}-2023-12-31/items"
    assert follow(api, vintage + "?datetime=2023-12-31")["numberMatched"] == 8
    assert follow(api, vintage + "?datetime=../2020-01-01")["numberMatched"] == 0
    assert follow(api, vintage + "?datetime=2023-01-01/..")["numberMatched"] == 8
    # bbox around the first district's south-west patch only
    west = follow(api, vintage + "?bbox=117.0,39.01,117.005,39.02")
    assert 1 <= west["numberMatched"] < 8
    assert all(f["properties"]["district_code"] == OWN for f in west["features"])
    assert follow(api, f"{base}/leads/items?datetime=2023-12-31")["numberMatched"] == 6
    assert follow(api, f"{base}/leads/items?datetime=2019-01-01/2020-01-01")["numberMatched"] == 0
    zones = follow(api, f"{base}/zones-{api.package_id}-pbf/items")
    assert zones["numberMatched"] == 1
    assert api.get(f"{base}/nope/items", "viewer").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("bbox=1,2", "bbox"),
        ("bbox=117,39,116,38", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("datetime=2023-13-45", "datetime"),
        ("datetime=2023-12-31/2020-01-01", "datetime"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("limit=10001", "limit"),
        ("offset=-1", "offset"),
    ],
)
@pytest.mark.parametrize("collection", ["leads", "districts", "landuse"])
def test_invalid_parameters_are_400_problems(api, query, field, collection):
    """OGC API - Features Part 1 /req/core/query-param-invalid: 400, as problem+json."""
    if collection == "landuse":
        collection = f"landuse-{api.package_id}-2018-12-31"
    r = api.get(f"/ogc/collections/{collection}/items?{query}", "viewer")
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 400 and body["title"] == "请求参数有误"
    assert field in body["detail"] and "Traceback" not in r.text


def test_ogc_documents_400_not_422(api):
    paths = api.get("/openapi.json").json()["paths"]
    items = paths["/ogc/collections/{collection_id}/items"]["get"]["responses"]
    assert "400" in items and "422" not in items
    assert "422" in paths["/api/leads"]["get"]["responses"]  # the rest of the API keeps 422


def test_anonymous_sees_only_districts(api):
    collections = follow(api, "http://testserver/ogc/collections", None)["collections"]
    assert [c["id"] for c in collections] == ["districts"]
    districts = follow(api, "http://testserver/ogc/collections/districts/items", None)
    assert {f["id"] for f in districts["features"]} >= {OWN, OTHER}
    assert api.get("/ogc/collections/leads/items", None).status_code == 401
    assert (
        api.get(f"/ogc/collections/landuse-{api.package_id}-2018-12-31/items", None).status_code
        == 401
    )
