"""OGC API - Features, Part 1 (Core + GeoJSON), under ``/ogc``: leads, districts, and each
land-use vintage and zone layer of the stored packages, so QGIS and ArcGIS Pro can add them as
layers directly (HTTP Basic sign-in works for clients without a token)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from api.auth import Principal, scoped_districts
from api.deps import PrincipalDep, ServicesDep, SessionDep
from api.errors import AuthenticationError
from api.query import parse_bbox, parse_datetime
from api.routes import link, problems
from api.shape import GEOJSON, district_bbox, district_properties, feature, lead_feature
from gisaudit.errors import NotFoundError
from gisaudit.storage.repository import get_district, get_lead, list_districts, list_leads

router = APIRouter(prefix="/ogc", tags=["OGC API - Features"])
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
CollectionId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.\-]{1,100}$")]
FeatureId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.\-]{1,128}$")]
JSON_ERRORS = problems(400, 401, 404)
GEO_OK = {200: {"content": {GEOJSON: {}}, "description": "GeoJSON"}}


@dataclass
class Collection:
    """What a collection's description needs; items are fetched by the route."""

    id: str
    title: str
    description: str
    bbox: list[float] | None
    interval: tuple[str | None, str | None] | None = None


def _may_read(services: Any, principal: Principal) -> bool:
    return services.settings.anonymous_read or not principal.anonymous


def _require_read(services: Any, principal: Principal) -> None:
    if not _may_read(services, principal):
        raise AuthenticationError(
            "该图层需要登录：请在 QGIS/ArcGIS 中配置用户名和密码（HTTP Basic）。"
        )


def _collections(services: Any, principal: Principal, session: Any) -> list[Collection]:
    boxes = [district_bbox(d) for d in list_districts(session)]
    boxes = [b for b in boxes if b]
    overall = (
        [
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        ]
        if boxes
        else None
    )
    out = [Collection("districts", "区县边界", "已评价的涉农区边界与面积（公顷）", overall)]
    if not _may_read(services, principal):
        return out
    scope = "（仅您负责的区）" if principal.lead_scope is not None else ""
    out.insert(0, Collection("leads", "疑点", f"审计疑点（规范第 8 节属性）{scope}", overall))
    for rec in services.packages.list():
        for v in rec.vintages:
            out.append(
                Collection(
                    f"landuse-{rec.id}-{v}",
                    f"{rec.name} 地类图斑 {v}",
                    f"数据包“{rec.name}”{v[:4]} 年度地类图斑",
                    rec.bbox,
                    (v, v),
                )
            )
        for kind in rec.zones:
            out.append(
                Collection(
                    f"zones-{rec.id}-{kind}",
                    f"{rec.name} {kind}",
                    f"数据包“{rec.name}”的管控区图层 {kind}",
                    rec.bbox,
                )
            )
    return out


def _collection_json(request: Request, c: Collection) -> dict[str, Any]:
    base = f"/ogc/collections/{c.id}"
    extent: dict[str, Any] = {"spatial": {"bbox": [c.bbox or [-180, -90, 180, 90]], "crs": CRS84}}
    if c.interval is not None:
        extent["temporal"] = {
            "interval": [list(c.interval)],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            link(request, base, "self", "application/json", c.title).model_dump(exclude_none=True),
            link(request, f"{base}/items", "items", GEOJSON, c.title).model_dump(exclude_none=True),
        ],
    }


@router.get("", response_model=dict[str, Any])
@router.get("/", response_model=dict[str, Any], include_in_schema=False)
def landing(request: Request) -> dict[str, Any]:
    """OGC API 首页（链接到接口说明、符合性声明与图层集合）。"""
    links = [
        link(request, "/ogc", "self", "application/json", "本页"),
        link(
            request,
            "/openapi.json",
            "service-desc",
            "application/vnd.oai.openapi+json;version=3.0",
            "接口定义",
        ),
        link(request, "/docs", "service-doc", "text/html", "接口文档"),
        link(request, "/ogc/conformance", "conformance", "application/json", "符合性声明"),
        link(request, "/ogc/collections", "data", "application/json", "图层集合"),
    ]
    return {
        "title": "gisaudit 自然资源资产离任审计 OGC API - Features",
        "description": "疑点、区县边界、地类图斑与管控区，可直接加入 QGIS / ArcGIS Pro。",
        "links": [x.model_dump(exclude_none=True) for x in links],
    }


@router.get("/conformance", response_model=dict[str, list[str]])
def conformance() -> dict[str, list[str]]:
    """符合的 OGC API - Features 标准部分。"""
    return {"conformsTo": CONFORMANCE}


@router.get("/collections", response_model=dict[str, Any])
def collections(
    request: Request, principal: PrincipalDep, services: ServicesDep, session: SessionDep
) -> dict[str, Any]:
    """全部图层集合（未登录时只有区县边界）。"""
    items = [_collection_json(request, c) for c in _collections(services, principal, session)]
    return {
        "collections": items,
        "links": [
            link(request, "/ogc/collections", "self", "application/json").model_dump(
                exclude_none=True
            )
        ],
    }


def _find(services: Any, principal: Principal, session: Any, cid: str) -> Collection:
    if cid != "districts":
        _require_read(services, principal)
    for c in _collections(services, principal, session):
        if c.id == cid:
            return c
    raise NotFoundError(f"没有图层集合“{cid}”。可用集合见 /ogc/collections。")


@router.get("/collections/{collection_id}", response_model=dict[str, Any], responses=JSON_ERRORS)
def collection(
    request: Request,
    collection_id: CollectionId,
    principal: PrincipalDep,
    services: ServicesDep,
    session: SessionDep,
) -> dict[str, Any]:
    """一个图层集合的说明（范围、时间、链接）。"""
    return _collection_json(request, _find(services, principal, session, collection_id))


def _in_interval(day: date | None, interval: tuple[date | None, date | None] | None) -> bool:
    if interval is None:
        return True
    if day is None:
        return False
    start, end = interval
    return (start is None or day >= start) and (end is None or day <= end)


Fetch = Callable[[int, int], tuple[list[dict[str, Any]], int]]


def _fetcher(
    services: Any, principal: Principal, session: Any, cid: str, bbox: Any, when: Any
) -> Fetch:
    """A function (limit, offset) -> (features, numberMatched) for the collection."""
    if cid == "leads":

        def leads(limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
            start, end = when if when is not None else (None, None)
            page = list_leads(
                session,
                district_code=scoped_districts(principal, None),
                bbox=bbox,
                changed_from=start,
                changed_to=end,
                limit=limit,
                offset=offset,
            )
            return [lead_feature(x) for x in page.items], page.total

        return leads
    if cid == "districts":
        rows = [d for d in list_districts(session) if _district_hit(d, bbox)]

        def districts(limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
            part = rows[offset : offset + limit]
            return [feature(d.code, district_properties(d), d.geometry) for d in part], len(rows)

        return districts
    layer = services.packages.layer(cid)
    positions = layer.query(bbox) if _in_interval(layer.when, when) else []

    def package_items(limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        part = positions[offset : offset + limit]
        items = zip(part, layer.properties(part), layer.lonlat(part), strict=True)
        return [feature(int(i), props, geom) for i, props, geom in items], len(positions)

    return package_items


def _district_hit(d: Any, bbox: Any) -> bool:
    if bbox is None:
        return True
    box = district_bbox(d)
    return (
        box is not None
        and box[0] <= bbox[2]
        and box[2] >= bbox[0]
        and box[1] <= bbox[3]
        and box[3] >= bbox[1]
    )


@router.get(
    "/collections/{collection_id}/items",
    response_class=JSONResponse,
    responses={**JSON_ERRORS, **GEO_OK},
)
def items(
    request: Request,
    collection_id: CollectionId,
    principal: PrincipalDep,
    services: ServicesDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    bbox: Annotated[
        str | None,
        Query(max_length=200, description="最小经度,最小纬度,最大经度,最大纬度（CRS84）"),
    ] = None,
    datetime_: Annotated[
        str | None,
        Query(alias="datetime", max_length=100, description="日期或区间，如 2018-01-01/2023-12-31"),
    ] = None,
) -> JSONResponse:
    """图层要素（GeoJSON），支持 limit、offset、bbox、datetime，带 next 链接翻页。"""
    _find(services, principal, session, collection_id)
    box, when = parse_bbox(bbox), parse_datetime(datetime_)
    features, matched = _fetcher(services, principal, session, collection_id, box, when)(
        limit, offset
    )
    path = f"/ogc/collections/{collection_id}/items"
    query = {"bbox": bbox, "datetime": datetime_}
    links = [
        link(request, path, "self", GEOJSON, None, **query, limit=limit, offset=offset),
        link(request, f"/ogc/collections/{collection_id}", "collection", "application/json"),
    ]
    if offset + len(features) < matched:
        links.append(
            link(
                request,
                path,
                "next",
                GEOJSON,
                "下一页",
                **query,
                limit=limit,
                offset=offset + limit,
            )
        )
    if offset > 0:
        links.append(
            link(
                request,
                path,
                "prev",
                GEOJSON,
                "上一页",
                **query,
                limit=limit,
                offset=max(0, offset - limit),
            )
        )
    body = {
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": matched,
        "numberReturned": len(features),
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": [x.model_dump(exclude_none=True) for x in links],
    }
    return JSONResponse(body, media_type=GEOJSON)


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    response_class=JSONResponse,
    responses={**JSON_ERRORS, **GEO_OK},
)
def item(
    request: Request,
    collection_id: CollectionId,
    feature_id: FeatureId,
    principal: PrincipalDep,
    services: ServicesDep,
    session: SessionDep,
) -> JSONResponse:
    """一个要素（GeoJSON）。"""
    _find(services, principal, session, collection_id)
    missing = NotFoundError(f"图层“{collection_id}”中没有要素“{feature_id}”。")
    if collection_id == "leads":
        lead = get_lead(session, feature_id)
        if not principal.sees_district(lead.district_code):
            raise missing
        body = lead_feature(lead)
    elif collection_id == "districts":
        d = get_district(session, feature_id)
        body = feature(d.code, district_properties(d), d.geometry)
    else:
        layer = services.packages.layer(collection_id)
        if not feature_id.isdigit() or int(feature_id) >= len(layer):
            raise missing
        i = int(feature_id)
        body = feature(i, layer.properties([i])[0], layer.lonlat([i])[0])
    body["links"] = [
        link(
            request, f"/ogc/collections/{collection_id}/items/{feature_id}", "self", GEOJSON
        ).model_dump(exclude_none=True),
        link(
            request, f"/ogc/collections/{collection_id}", "collection", "application/json"
        ).model_dump(exclude_none=True),
    ]
    return JSONResponse(body, media_type=GEOJSON)
