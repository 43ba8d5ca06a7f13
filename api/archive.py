"""Unpacking an uploaded package zip safely: size, entry count, compression ratio, paths."""

from __future__ import annotations

import contextlib
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from api.errors import PayloadTooLargeError, UnsafeArchiveError
from gisaudit.errors import InputError

CHUNK = 1024 * 1024
SMALL_ENTRY = 1024 * 1024  # entries below this size are not checked for their ratio
IGNORED = ("__MACOSX/",)


@dataclass(frozen=True)
class ZipLimits:
    """Limits of an upload: bytes uploaded, bytes unpacked, entries, compression ratio."""

    max_upload_bytes: int
    max_unpacked_bytes: int
    max_entries: int
    max_ratio: float


def save_upload(source: BinaryIO, target: Path, limits: ZipLimits) -> int:
    """Copy an uploaded file to ``target``; PayloadTooLargeError past the limit. Returns bytes."""
    size = 0
    with target.open("wb") as out:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > limits.max_upload_bytes:
                raise PayloadTooLargeError(_too_big(limits.max_upload_bytes))
            out.write(chunk)
    return size


def _too_big(limit: int) -> str:
    return (
        f"上传的压缩包超过 {limit / 1024 / 1024:.0f} MB 的上限。请删除不需要的文件后重新打包，"
        "或请管理员把数据包放到服务器上后登记该文件夹。"
    )


def _entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name; names of zips made on Chinese Windows are GBK, not CP437."""
    name = info.filename
    if not info.flag_bits & 0x800:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("gbk")
    return name.replace("\\", "/")


def _safe_parts(name: str) -> tuple[str, ...]:
    path = PurePosixPath(name)
    bad = (
        name.startswith("/")
        or (len(name) > 1 and name[1] == ":")
        or any(p == ".." for p in path.parts)
    )
    if bad:
        raise UnsafeArchiveError(
            f"压缩包中的条目“{name}”指向压缩包以外的位置（绝对路径或 ../），已拒绝整个压缩包。"
            "请只打包数据包文件夹本身后重新上传。"
        )
    return tuple(p for p in path.parts if p not in ("", "."))


def _check_entries(infos: list[zipfile.ZipInfo], limits: ZipLimits) -> None:
    if len(infos) > limits.max_entries:
        raise UnsafeArchiveError(
            f"压缩包含 {len(infos)} 个条目，超过 {limits.max_entries} 个的上限。"
            "请删除无关文件（如缓存、备份）后重新打包。"
        )
    total = sum(i.file_size for i in infos)
    if total > limits.max_unpacked_bytes:
        raise PayloadTooLargeError(
            f"压缩包解压后约 {total / 1024 / 1024:.0f} MB，超过 "
            f"{limits.max_unpacked_bytes / 1024 / 1024:.0f} MB 的上限。"
            "请请管理员把数据包放到服务器上后登记该文件夹。"
        )
    for info in infos:
        name = _entry_name(info)
        _safe_parts(name)
        mode = info.external_attr >> 16
        if mode and stat.S_ISLNK(mode):
            raise UnsafeArchiveError(f"压缩包中的条目“{name}”是符号链接，已拒绝。请打包实际文件。")
        if info.file_size > SMALL_ENTRY and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise UnsafeArchiveError(
                f"压缩包中的条目“{name}”压缩比异常（超过 {limits.max_ratio:.0f} 倍），"
                "疑似压缩炸弹，已拒绝。请检查该文件后重新打包。"
            )


def unpack(zip_path: Path, dest: Path, limits: ZipLimits) -> None:
    """Unpack ``zip_path`` into ``dest`` (which must not exist) within ``limits``.

    Entries are checked before anything is written, and the bytes actually written are counted
    again while unpacking (the sizes in a zip's directory can lie).
    """
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(
            "上传的文件不是有效的 zip 压缩包。请把数据包文件夹压缩为 zip 后上传。"
        ) from exc
    with archive:
        infos = [i for i in archive.infolist() if not _entry_name(i).startswith(IGNORED)]
        _check_entries(infos, limits)
        dest.mkdir(parents=True)
        written = 0
        for info in infos:
            parts = _safe_parts(_entry_name(info))
            if not parts:
                continue
            target = dest.joinpath(*parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            entry_bytes = 0
            try:
                with archive.open(info) as src, target.open("wb") as out:
                    while chunk := src.read(CHUNK):
                        entry_bytes += len(chunk)
                        written += len(chunk)
                        if entry_bytes > info.file_size or written > limits.max_unpacked_bytes:
                            raise PayloadTooLargeError(
                                "压缩包解压后的内容超过上限或与其目录不符，已停止解压。"
                                "请重新打包后上传。"
                            )
                        out.write(chunk)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                raise InputError(
                    f"压缩包中的文件“{'/'.join(parts)}”无法解压（{type(exc).__name__}）。"
                    "请重新打包（不要加密码）后上传。"
                ) from exc


def package_root(folder: Path) -> Path:
    """The folder holding ``package.yaml``: ``folder`` itself or its single top-level folder."""
    if (folder / "package.yaml").is_file():
        return folder
    subdirs = [p for p in folder.iterdir() if p.is_dir()]
    files = [p for p in folder.iterdir() if p.is_file()]
    if len(subdirs) == 1 and not files and (subdirs[0] / "package.yaml").is_file():
        return subdirs[0]
    raise InputError(
        "压缩包中没有找到数据包清单 package.yaml。请把 package.yaml 放在压缩包的最上层"
        "（或唯一的文件夹中）后重新上传。"
    )


def remove_tree(path: Path) -> None:
    """Delete a folder if it exists."""
    shutil.rmtree(path, ignore_errors=True)
