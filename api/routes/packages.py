"""Data packages: upload a zip or register a server folder (admin), list, validate, delete."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Request, Response, UploadFile, status

from api.auditlog import record
from api.auth import require_role
from api.deps import ReaderDep, ServicesDep, UserDep
from api.errors import scrub_for
from api.packages import PackageRecord
from api.routes import link, problems
from api.schemas import FolderRegistration, PackageCreated, PackageOut, ValidationOut
from gisaudit.layers.package import ValidationReport

router = APIRouter(prefix="/api/packages", tags=["数据包"])
PackageId = Annotated[str, Path(pattern=r"^[0-9a-f]{1,32}$")]


def package_out(request: Request, rec: PackageRecord) -> PackageOut:
    data: dict[str, Any] = asdict(rec)
    data.pop("path")
    links = [link(request, f"/api/packages/{rec.id}", "self", "application/json")]
    links += [
        link(
            request,
            f"/ogc/collections/landuse-{rec.id}-{v}",
            "collection",
            "application/json",
            f"地类图斑 {v}",
        )
        for v in rec.vintages
    ]
    return PackageOut(**data, links=links)


def validation_out(request: Request, report: ValidationReport) -> ValidationOut:
    """The report as sent: server and package folders replaced by their names."""
    summary = report.summary()
    rows = []
    if not summary.empty:
        for row in summary.to_dict("records"):
            rows.append(
                {
                    k: (
                        v.isoformat()
                        if hasattr(v, "isoformat")
                        else (None if isinstance(v, float) and v != v else v)
                    )
                    for k, v in row.items()
                }
            )
    return ValidationOut(
        ok=report.ok,
        problems=[
            {
                key: scrub_for(request, str(getattr(p, key)))
                for key in ("file", "layer", "feature", "message", "action")
            }
            for p in report.problems
        ],
        repaired=report.repaired,
        notes=[scrub_for(request, n) for n in report.notes],
        summary=rows,
        text=scrub_for(request, report.render()),
    )


@router.get("", response_model=list[PackageOut], responses=problems(401))
def packages(request: Request, principal: ReaderDep, services: ServicesDep) -> list[PackageOut]:
    """已登记的数据包。"""
    return [package_out(request, r) for r in services.packages.list()]


@router.post(
    "",
    response_model=PackageCreated,
    status_code=status.HTTP_201_CREATED,
    responses=problems(401, 403, 413, 422),
)
def upload_package(
    request: Request,
    file: Annotated[UploadFile, File(description="数据包文件夹打包的 zip（含 package.yaml）")],
    principal: UserDep,
    services: ServicesDep,
) -> PackageCreated:
    """上传数据包（管理员）：解压、完整校验，全部通过才保存；否则返回全部问题（422）。"""
    require_role(principal, ["admin"], "上传数据包")
    rec, report = services.packages.add_upload(file.file, principal.name)
    record(
        services.settings,
        principal.name,
        "package.upload",
        rec.id,
        name=rec.name,
        filename=file.filename,
    )
    return PackageCreated(
        package=package_out(request, rec), validation=validation_out(request, report)
    )


@router.post(
    "/register",
    response_model=PackageCreated,
    status_code=status.HTTP_201_CREATED,
    responses=problems(401, 403, 422),
)
def register_package(
    request: Request, body: FolderRegistration, principal: UserDep, services: ServicesDep
) -> PackageCreated:
    """登记服务器上的数据包文件夹（管理员）：完整校验，通过才登记。"""
    require_role(principal, ["admin"], "登记数据包")
    rec, report = services.packages.register_folder(body.path, principal.name)
    record(services.settings, principal.name, "package.register", rec.id, name=rec.name)
    return PackageCreated(
        package=package_out(request, rec), validation=validation_out(request, report)
    )


@router.get("/{package_id}", response_model=PackageOut, responses=problems(401, 404, 422))
def package(
    request: Request, package_id: PackageId, principal: ReaderDep, services: ServicesDep
) -> PackageOut:
    """一个数据包：期次、管控区、区、任期。"""
    return package_out(request, services.packages.get(package_id))


@router.post(
    "/{package_id}/validate", response_model=ValidationOut, responses=problems(401, 403, 404, 422)
)
def revalidate(
    request: Request, package_id: PackageId, principal: UserDep, services: ServicesDep
) -> ValidationOut:
    """重新校验数据包（管理员），返回全部问题或各区各期汇总。"""
    require_role(principal, ["admin", "reviewer"], "校验数据包")
    return validation_out(request, services.packages.revalidate(package_id))


@router.delete(
    "/{package_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(401, 403, 404, 422)
)
def delete_package(package_id: PackageId, principal: UserDep, services: ServicesDep) -> Response:
    """删除数据包登记（管理员）；上传的数据包文件一并删除，已保存的评价结果保留。"""
    require_role(principal, ["admin"], "删除数据包")
    services.packages.delete(package_id)
    record(services.settings, principal.name, "package.delete", package_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
