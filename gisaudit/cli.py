"""The `gisaudit` command line (spec section 9): thin over the library, Chinese output."""

from __future__ import annotations

import logging
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from gisaudit.errors import GisAuditError
from gisaudit.progress import ProgressFn

app = typer.Typer(
    name="gisaudit",
    help="gisaudit：领导干部自然资源资产离任（任中）审计 GIS 平台",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


@contextmanager
def progress_bar() -> Iterator[ProgressFn]:
    """Yield a ProgressFn drawing a rich progress bar (one bar per distinct message)."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=not err_console.is_terminal,  # no bar redraws in logs and pipes
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def report(message: str, done: int, total: int) -> None:
            if message not in tasks:
                tasks[message] = bar.add_task(message, total=total or None)
            bar.update(tasks[message], completed=done, total=total or None)

        yield report


def _run(action: Callable[[], int | None]) -> None:
    """Run a command body: our errors become a Chinese message and exit 1, never a traceback."""
    try:
        code = action() or 0
    except typer.Exit:
        raise
    except GisAuditError as exc:
        err_console.print(f"[bold red]错误：[/]{escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err_console.print("[yellow]已中断，未写入不完整的结果。[/]")
        raise typer.Exit(130) from None
    except Exception:
        log = Path(tempfile.gettempdir()) / f"gisaudit-error-{datetime.now():%Y%m%d-%H%M%S}.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        err_console.print(
            "[bold red]内部错误：[/]程序遇到意外问题，结果未写入。"
            f"请将日志文件 {log} 发给技术支持。"
        )
        raise typer.Exit(2) from None
    raise typer.Exit(code)


@app.command()
def sample(
    directory: Annotated[Path, typer.Argument(help="样例数据包输出目录")],
    patches: Annotated[int | None, typer.Option(help="每期图斑总数（默认为小样例）")] = None,
    seed: Annotated[int, typer.Option(help="随机种子（同一种子结果相同）")] = 20181231,
) -> None:
    """生成 10 个涉农区的样例数据包（六期三调图斑、管控区、岸线、影像、任期、目标）。"""

    def body() -> None:
        from gisaudit.sample import DEFAULT_PATCHES, build_sample_package

        with progress_bar() as report:
            out = build_sample_package(
                directory, patches=patches or DEFAULT_PATCHES, seed=seed, progress=report
            )
        console.print(f"样例数据包已写入：{out}")

    _run(body)


@app.command()
def validate(
    package: Annotated[Path, typer.Argument(help="数据包目录（含 package.yaml）")],
) -> None:
    """校验数据包：一次列出全部问题；通过时输出各区各期图斑数、地类构成与面积核对。"""

    def body() -> int:
        from gisaudit.layers.package import validate_package

        with progress_bar() as report:
            result = validate_package(package, progress=report)
        console.print(result.render(), soft_wrap=True, markup=False)
        return 0 if result.ok else 1

    _run(body)


@app.command()
def evaluate(
    package: Annotated[Path, typer.Argument(help="数据包目录")],
    out: Annotated[Path, typer.Option("--out", help="结果输出目录")],
    tenure: Annotated[list[str] | None, typer.Option("--tenure", help="任期编号，可重复")] = None,
    all_tenures: Annotated[bool, typer.Option("--all", help="评价全部任期")] = False,
    indicators: Annotated[
        Path | None, typer.Option("--indicators", help="自定义指标体系 YAML")
    ] = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="自定义疑点规则 YAML（在默认规则上增加或替换）")
    ] = None,
    lead_pdf: Annotated[bool, typer.Option("--lead-pdf", help="同时输出 PDF 疑点核查单")] = False,
    db: Annotated[
        bool, typer.Option("--db", help="同时存入数据库（GISAUDIT_DATABASE_URL，默认本机 SQLite）")
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler", help="Dask 调度器地址（如 tcp://10.0.0.1:8786），按区县分布式评价"
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="在本机启动 N 个 Dask 工作进程，按区县并行评价"),
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads", min=1,
            help="本进程内同时评价的区县数（默认：CPU 核数，或环境变量 GISAUDIT_THREADS）",
        ),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes", min=1,
            help="在本机派生 N 个工作进程按区县并行评价（多核时比线程快；仅 Linux/macOS）",
        ),
    ] = None,
) -> None:
    """评价任期：输出评分卡、转移矩阵、疑点、工作簿、报告和汇总表。"""

    def body() -> None:
        if not tenure and not all_tenures:
            err_console.print("请用 --tenure 指定任期编号，或用 --all 评价全部任期。")
            raise typer.Exit(1)
        results = _evaluate(
            package,
            out,
            None if all_tenures else list(tenure or []),
            indicators=indicators,
            rules=rules,
            lead_pdf=lead_pdf,
            store=db,
            scheduler=scheduler,
            workers=workers,
            threads=threads,
            processes=processes,
        )
        _print_summary(results)
        console.print(f"评价结果已写入：{out}")

    _run(body)


@app.command()
def ingest(
    package: Annotated[Path, typer.Argument(help="数据包目录")],
    out: Annotated[Path, typer.Option("--out", help="结果输出目录")],
    indicators: Annotated[
        Path | None, typer.Option("--indicators", help="自定义指标体系 YAML")
    ] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="自定义疑点规则 YAML")] = None,
) -> None:
    """评价全部任期并存入数据库（保留已有疑点的核查状态、记录和历史）。"""

    def body() -> None:
        results = _evaluate(package, out, None, indicators=indicators, rules=rules, store=True)
        _print_summary(results)

    _run(body)


def _evaluate(
    package_dir: Path,
    out: Path,
    tenure_ids: list[str] | None,
    *,
    indicators: Path | None = None,
    rules: Path | None = None,
    lead_pdf: bool = False,
    store: bool = False,
    scheduler: str | None = None,
    workers: int | None = None,
    threads: int | None = None,
    processes: int | None = None,
) -> list[Any]:
    """Load, evaluate, write outputs and (``store``) save the run in one transaction.

    ``scheduler`` / ``workers``: evaluate district by district on a Dask cluster (a running
    scheduler, or a local cluster of N processes) instead of in this process. ``threads``:
    districts evaluated at once in this process (default: the CPU count); ``processes``: on
    that many forked worker processes instead.
    """
    from gisaudit.evaluation import evaluate_package
    from gisaudit.layers.package import load_package

    with progress_bar() as report:
        engine = None
        if store:  # check the database before the long work, not after
            from gisaudit.storage import make_engine, upgrade_database

            engine = make_engine()
            upgrade_database(engine)
        if scheduler or workers:
            from gisaudit.evaluation.distributed import evaluate_distributed, package_identity

            results = evaluate_distributed(
                package_dir,
                out,
                tenure_ids,
                scheduler=scheduler,
                workers=workers,
                indicators=indicators,
                rules=rules,
                lead_pdf=lead_pdf,
                progress=report,
            )
            name, fingerprints = package_identity(package_dir) if engine is not None else ("", {})
        else:
            pkg = load_package(package_dir, progress=report)
            results = evaluate_package(
                pkg,
                out,
                tenure_ids=tenure_ids,
                indicators=indicators,
                rules=rules,
                lead_pdf=lead_pdf,
                progress=report,
                threads=threads,
                processes=processes,
            )
            name, fingerprints = pkg.name, pkg.fingerprints
        if engine is not None and results:
            from gisaudit.storage.repository import save_evaluation

            system = results[0].scorecard["indicator_system"]
            run_id = save_evaluation(
                engine,
                name,
                fingerprints,
                system["id"],
                system["version"],
                results,
                parameters={
                    "tenures": tenure_ids or "all",
                    "indicators": str(indicators or ""),
                    "rules": str(rules or ""),
                    "out": str(out),
                },
                progress=report,
            )
            console.print(f"已存入数据库（评价编号 {run_id}）。")
    return results


def _print_summary(results: list[Any]) -> None:
    from rich.table import Table

    table = Table(title="任期评价汇总")
    for col in ("任期", "区", "职务", "期初", "期末", "总分", "等级", "一票否决"):
        table.add_column(col)
    for r in results:
        card = r.scorecard
        table.add_row(
            card["tenure"]["id"],
            card["district"]["name"],
            card["tenure"]["position"],
            card["vintages"]["start"],
            card["vintages"]["end"],
            f"{card['total_score']:.1f}",
            card["grade"],
            "、".join(card["vetoes"]) or "无",
        )
    console.print(table)


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="演示工作目录")] = Path("demo"),
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="地图服务端口")] = 8000,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="只准备数据，不启动地图服务")
    ] = False,
) -> None:
    """演示：生成样例数据包（如缺失）、评价全部任期并存入数据库、启动地图服务。"""

    def body() -> None:
        from api.demo import prepare_demo
        from gisaudit.sample import DEFAULT_PATCHES, build_sample_package

        pkg_dir = directory / "package"
        with progress_bar() as report:
            if not (pkg_dir / "package.yaml").exists():
                build_sample_package(pkg_dir, patches=DEFAULT_PATCHES, progress=report)
            state = prepare_demo(directory, pkg_dir, progress=report)
        console.print(f"样例数据包：{pkg_dir}")
        console.print(
            f"评价结果：{state.settings.data_dir / 'evaluations' / state.evaluation_id / 'out'}"
            + ("" if state.evaluated_now else "（此前已评价，沿用）")
        )
        for name, password, role, districts in state.users:
            scope = f"，负责 {'、'.join(districts)}" if districts else ""
            console.print(f"演示账号：{name} / 密码 {password}（角色 {role}{scope}）")
        if no_serve:
            return
        import uvicorn

        from api.main import create_app

        console.print(f"地图服务地址：http://{host}:{port}/ （按 Ctrl+C 停止）", style="bold green")
        uvicorn.run(create_app(state.settings), host=host, port=port, log_level="warning")

    _run(body)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 8000,
) -> None:
    """启动接口与网页地图服务（数据库由 GISAUDIT_DATABASE_URL 指定，默认本机 SQLite 文件）。"""

    def body() -> None:
        import uvicorn

        console.print(f"服务地址：http://{host}:{port}/ （接口文档 /docs，OGC API /ogc）")
        uvicorn.run("api.main:create_app", factory=True, host=host, port=port)

    _run(body)


user_app = typer.Typer(help="用户管理", no_args_is_help=True)
app.add_typer(user_app, name="user")


def _read_password(name: str) -> str:
    """The new user's password: from standard input when piped, else prompted twice."""
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(f"请输入用户“{name}”的密码", hide_input=True,
                                confirmation_prompt="请再次输入密码")  # fmt: skip
    if not password:
        err_console.print("[bold red]错误：[/]密码不能为空。请通过标准输入或提示输入密码。")
        raise typer.Exit(1)
    return password


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="用户名")],
    role: Annotated[str, typer.Option("--role", help="角色：viewer|auditor|reviewer|admin")],
    district: Annotated[
        list[str] | None, typer.Option("--district", help="负责的区代码（审计人员），可重复")
    ] = None,
) -> None:
    """新建用户；密码从标准输入读取（或在终端提示输入）。"""

    def body() -> None:
        from gisaudit.storage import make_engine, session_scope, upgrade_database
        from gisaudit.storage.repository import create_user

        password = _read_password(name)
        engine = make_engine()
        try:
            upgrade_database(engine)
            with session_scope(engine) as session:
                user = create_user(session, name, password, role, district or [])
                codes = "、".join(user.district_codes) or "无"
        finally:
            engine.dispose()
        console.print(f"已创建用户“{name}”（角色 {role}，负责的区：{codes}）。")

    _run(body)


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING)
    if sys.stdout.encoding and sys.stdout.encoding.lower() not in ("utf-8", "utf8"):
        sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    app()


if __name__ == "__main__":
    main()
