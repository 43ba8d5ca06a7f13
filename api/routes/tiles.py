"""Mapbox vector tiles of leads, districts, change polygons, land-use vintages, zones and
coastline vintages; PNG overview tiles of the land-use vintages.

``/tiles/{layer}/{z}/{x}/{y}.mvt`` with ``layer`` one of ``leads``, ``districts``, ``changes``
(optionally ``?tenure_id=``), ``landuse-<package>-<date>``, ``zones-<package>-<kind>`` or
``coastline-<package>-<date>`` (lines with ``axlx`` and ``coast_class``); the tile holds one
MVT layer of that name. Auditors' lead and change tiles hold only their
districts. ``/tiles/landuse-<package>-<date>/{z}/{x}/{y}.png`` (``?theme=``,
``?district_code=``) is the land-use overview for district scale (``api.overview``).
``GET /tiles`` lists the layers with their URL templates.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from api.auth import Principal, scoped_districts
from api.deps import PrincipalDep, ReaderDep, ServicesDep, SessionDep
from api.errors import AuthenticationError
from api.layers import LayerIndex, change_layer
from api.overview import OVERVIEW, OVERVIEW_MAX_ZOOM
from api.routes import problems
from api.tiles import MVT, check_tile, encode_tile, tile_lonlat_bbox, to_mercator
from gisaudit.errors import NotFoundError
from gisaudit.storage.repository import latest_tenure_results, list_districts, list_leads

router = APIRouter(prefix="/tiles", tags=["矢量瓦片"])
LayerName = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.\-]{1,100}$")]
Z = Annotated[int, Path(ge=0, le=24)]
XY = Annotated[int, Path(ge=0, le=2**24)]
LANDUSE_MIN_ZOOM = 9  # below this a land-use tile would hold a whole city of patches
MAX_FEATURES = 20_000
LEAD_PROPS = (
    "id",
    "rule",
    "name",
    "severity",
    "district_code",
    "tenure_id",
    "area_m2",
    "length_m",
    "state",
    "change_vintage",
)
TILE_OK = {200: {"content": {MVT: {}}, "description": "Mapbox 矢量瓦片"}}
PNG_OK = {200: {"content": {"image/png": {}}, "description": "概览栅格瓦片（PNG，256×256）"}}
Theme = Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$", description="专题（如 farmland）")]
District = Annotated[str | None, Query(pattern=r"^[0-9]{6}$", description="只画该区的图斑")]
CACHE = "private, max-age=60"


def _tile(data: bytes) -> Response:
    return Response(data, media_type=MVT, headers={"Cache-Control": CACHE})


def _layer_tile(layer: LayerIndex, name: str, z: int, x: int, y: int) -> bytes:
    hits = layer.query(tile_lonlat_bbox(z, x, y))[:MAX_FEATURES]
    return encode_tile(name, layer.mercator(hits), layer.properties(hits), z, x, y)


@router.get("", response_model=dict[str, Any])
def tile_layers(request: Request, principal: PrincipalDep, services: ServicesDep) -> dict[str, Any]:
    """可用的瓦片图层及其地址模板（{z}/{x}/{y}）。"""
    base = str(request.base_url).rstrip("/") + "/tiles"
    names = [("districts", "区县边界", 0)]
    if services.settings.anonymous_read or not principal.anonymous:
        names += [("leads", "疑点", 0), ("changes", "地类变化图斑", 0)]
        for rec in services.packages.list():
            names += [
                (f"landuse-{rec.id}-{v}", f"{rec.name} 地类图斑 {v}", LANDUSE_MIN_ZOOM)
                for v in rec.vintages
            ]
            names += [(f"zones-{rec.id}-{k}", f"{rec.name} {k}", 0) for k in rec.zones]
            names += [
                (f"coastline-{rec.id}-{v}", f"{rec.name} 海岸线 {v}", 0)
                for v in rec.coastlines or []
            ]
    layers = []
    for n, title, minzoom in names:
        layer: dict[str, Any] = {
            "id": n,
            "name": title,
            "tiles": [f"{base}/{n}/{{z}}/{{x}}/{{y}}.mvt"],
            "minzoom": minzoom,
            "maxzoom": 22,
            "vector_layers": [{"id": n}],
        }
        if n.startswith("landuse-"):  # the raster overview for district scale
            layer["overview"] = {
                "tiles": [f"{base}/{n}/{{z}}/{{x}}/{{y}}.png"],
                "maxzoom": OVERVIEW_MAX_ZOOM,
            }
        layers.append(layer)
    return {"tilejson": "3.0.0", "layers": layers}


def _require(services: Any, principal: Principal) -> None:
    if not (services.settings.anonymous_read or not principal.anonymous):
        raise AuthenticationError("该瓦片图层需要登录。")


@router.get(
    "/districts/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses={**problems(404, 422), **TILE_OK},
)
def district_tile(z: Z, x: XY, y: XY, session: SessionDep) -> Response:
    """区县边界瓦片（公开）。"""
    check_tile(z, x, y)
    rows = [d for d in list_districts(session) if d.geometry is not None]
    props = [{"code": d.code, "name": d.name, "area_ha": d.area_ha} for d in rows]
    return _tile(encode_tile("districts", to_mercator([d.geometry for d in rows]), props, z, x, y))


@router.get(
    "/leads/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses={**problems(401, 404, 422), **TILE_OK},
)
def lead_tile(
    z: Z,
    x: XY,
    y: XY,
    principal: ReaderDep,
    session: SessionDep,
    tenure_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """疑点瓦片（审计人员只含所负责区）。"""
    check_tile(z, x, y)
    page = list_leads(
        session,
        district_code=scoped_districts(principal, None),
        tenure_id=tenure_id,
        bbox=tile_lonlat_bbox(z, x, y),
        limit=MAX_FEATURES,
    )
    items = [x_ for x_ in page.items if x_.geometry is not None]
    props = [
        {
            k: (
                getattr(i, k).isoformat()
                if k == "change_vintage" and getattr(i, k)
                else getattr(i, k)
            )
            for k in LEAD_PROPS
        }
        for i in items
    ]
    return _tile(encode_tile("leads", to_mercator([i.geometry for i in items]), props, z, x, y))


@router.get(
    "/changes/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses={**problems(401, 404, 422), **TILE_OK},
)
def change_tile(
    z: Z,
    x: XY,
    y: XY,
    principal: ReaderDep,
    services: ServicesDep,
    session: SessionDep,
    tenure_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """地类变化图斑瓦片：各任期最近一次评价（可用 tenure_id 指定任期）。"""
    check_tile(z, x, y)
    geoms: list[Any] = []
    props: list[dict[str, Any]] = []
    for row in latest_tenure_results(session, tenure_id=tenure_id):
        code = row.tenure.district_code
        if not principal.sees_district(code):
            continue
        path = services.jobs.output_dir(str(row.evaluation_id)) / row.tenure_id / "changes.parquet"
        layer = change_layer(path, row.tenure_id, code)
        if layer is None:
            continue
        hits = layer.query(tile_lonlat_bbox(z, x, y))[:MAX_FEATURES]
        geoms.extend(layer.mercator(hits))
        props.extend(layer.properties(hits))
    return _tile(encode_tile("changes", geoms, props, z, x, y))


@router.get(
    "/{layer}/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses={**problems(401, 404, 422), **TILE_OK},
)
def package_tile(
    layer: LayerName, z: Z, x: XY, y: XY, principal: PrincipalDep, services: ServicesDep
) -> Response:
    """数据包图层瓦片：landuse-<数据包>-<日期>（地类图斑，9 级起）、zones-<数据包>-<类型>
    或 coastline-<数据包>-<日期>（海岸线，属性 axlx、coast_class）。"""
    _require(services, principal)
    check_tile(z, x, y)
    index = services.packages.layer(layer)
    if layer.startswith("landuse-") and z < LANDUSE_MIN_ZOOM:
        return _tile(encode_tile(layer, [], [], z, x, y))
    return _tile(_layer_tile(index, layer, z, x, y))


@router.get(
    "/{layer}/{z}/{x}/{y}.png",
    response_class=Response,
    responses={**problems(401, 404, 422), **PNG_OK},
)
def landuse_overview_tile(
    layer: LayerName,
    z: Z,
    x: XY,
    y: XY,
    principal: PrincipalDep,
    services: ServicesDep,
    theme: Theme = None,
    district_code: District = None,
) -> Response:
    """地类图斑概览栅格瓦片（landuse-<数据包>-<日期>，PNG 256×256）：每个像元取其中心所在
    图斑的地类；给 theme 时专题地类着专题色、其余透明，不给时按地类分组着色；给
    district_code 时只画该区。区县尺度（12 级及以下）的地图用它代替矢量瓦片。"""
    _require(services, principal)
    check_tile(z, x, y)
    if not layer.startswith("landuse-"):
        raise NotFoundError(f"图层“{layer}”没有概览栅格瓦片：只有地类图斑图层（landuse-…）有。")
    index = services.packages.layer(layer)
    data = OVERVIEW.png(index, z, x, y, theme=theme, district=district_code)
    return Response(data, media_type="image/png", headers={"Cache-Control": CACHE})
