# ruff: noqa: T201  (a benchmark script prints its table)
"""One command for the issue-7 benchmark: ``.venv/bin/python -m benchmarks.run``.

Builds the benchmark package if missing (``gisaudit sample --patches 1000000``), runs the
baselines and gisaudit side by side, each in its own process (wall time and that process's
peak RSS from ``os.wait4``), compares their transition matrices, and prints a table.

The slow baselines (geopandas, PostGIS, raster) run on a subset of districts (``--subset``;
the subset's patches of every vintage are copied once into ``benchmarks/data/``) and gisaudit
runs on the same subset, so the ratios are like for like; gisaudit also runs on the whole
package (one tenure for every district, then all tenures). ``--full-baselines`` runs the
baselines on the whole package too (hours and > 12 GB for geopandas at 1 M patches).

The gisaudit rows run first, before any baseline, each ``--repeat`` times (default 3, seconds
each); the run of median wall time is reported, with the range in the notes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pyogrio
import yaml

from benchmarks.methods import manifest, vintage_path
from gisaudit.layers.cache import is_cached

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
DEFAULT_URL = "postgresql+psycopg://gisaudit:gisaudit@127.0.0.1:5432/gisaudit_test"


def measure(args: list[str], timeout: float) -> dict:
    """Run a command: wall time (s), CPU time (s, user + system, its worker processes
    included), peak RSS (MB, the largest single process), peak private memory (MB, the
    process and its workers together, see ``anon_kb``) and exit code. On a loaded machine CPU
    time is the steadier figure."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = [0]  # peak private memory, kB (see ``anon_kb``), polled on a thread
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], anon_kb(proc.pid))

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    out = proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    timed_out = not killer.is_alive() and wall >= timeout
    killer.cancel()
    done.set()
    watcher.join()
    rc = "timeout" if timed_out else os.waitstatus_to_exitcode(status)
    return {"wall_s": wall, "rss_mb": usage.ru_maxrss / 1024, "anon_mb": peak[0] / 1024,
            "cpu_s": usage.ru_utime + usage.ru_stime, "rc": rc,
            "log": "" if timed_out else out[-3000:]}


def anon_kb(pid: int) -> int:
    """Anonymous (private) memory of the process and its descendants (kB): the sum of their
    ``RssAnon``. Pages a forked worker still shares with its parent count in both, so for a
    process with workers this is an upper bound; 0 when unreadable.

    Read from ``/proc/<pid>/status`` (counters): ``smaps_rollup``'s proportional sets walk
    the page tables under the process's memory lock, and polling them slowed the measured
    process by ~10 %. Peak RSS also counts the pages of memory-mapped files (the
    validated-package cache is read that way): those are the kernel's page cache, shared and
    dropped under pressure. Private memory is what the processes themselves hold."""
    total = 0
    for member in _tree(pid):
        try:
            with open(f"/proc/{member}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("RssAnon:"):
                        total += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return total


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from ``/proc/<pid>/task/<tid>/children``)."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as fh:
                    todo.extend(int(c) for c in fh.read().split())
            except (OSError, ValueError):
                continue
    return tree


def ensure_package(path: Path, patches: int) -> dict | None:
    if (path / "package.yaml").exists():
        return None
    print(f"building the benchmark package ({patches} patches) into {path} ...", flush=True)
    res = measure([PY, "-m", "gisaudit.cli", "sample", str(path), "--patches", str(patches)],
                  timeout=6 * 3600)
    if res["rc"] != 0:
        raise SystemExit(f"building the package failed:\n{res['log']}")
    return res


def tenure_vintages(root: Path) -> tuple[str, str]:
    """Start and end vintage of the package's longest tenure."""
    from gisaudit.change.vintages import select_vintages

    m = manifest(root)
    vintages = [date.fromisoformat(v) for v in vintage_dates(root)]
    tenures = pd.read_csv(root / m["tenures"], dtype=str)
    best = None
    for row in tenures.itertuples(index=False):
        end = date.fromisoformat(row.end) if isinstance(row.end, str) and row.end else None
        sel = select_vintages(vintages, date.fromisoformat(row.start), end)
        span = (sel.end - sel.start).days
        if best is None or span > best[0]:
            best = (span, sel.start, sel.end)
    return best[1].isoformat(), best[2].isoformat()


def vintage_dates(root: Path) -> list[str]:
    """The package's land-use vintages (ISO dates), in manifest order."""
    m = manifest(root)
    return [str(v["vintage"]) for v in m["landuse"]]


def source_key(root: Path) -> str:
    """A short key of the package's manifest and land-use files (name, size, mtime): a
    rebuilt package gets a new subset even where its start vintage has as many patches."""
    digest = hashlib.sha256()
    m = manifest(root)
    for rel in ["package.yaml", *(item["path"] for item in m["landuse"])]:
        st = (root / rel).stat()
        digest.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:10]


def make_subset(root: Path, codes: list[str], target: Path) -> Path:
    """A copy of the package restricted to some districts (every vintage, zones, tables)."""
    if (target / "package.yaml").exists():
        return target
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "landuse").mkdir(parents=True)
    m = manifest(root)
    where = " OR ".join(f"ZLDWDM LIKE '{c}%'" for c in codes)
    for item in m["landuse"]:
        frame = pyogrio.read_dataframe(root / item["path"], layer=item.get("layer"),
                                       where=where, use_arrow=True)
        pyogrio.write_dataframe(frame, tmp / item["path"], layer=item.get("layer"))
    d = pyogrio.read_dataframe(root / m["districts"]["path"])
    d = d[d[m["districts"].get("code_field", "code")].astype(str).isin(codes)]
    pyogrio.write_dataframe(d, tmp / m["districts"]["path"], layer="districts")
    for sub in ("zones", "coastline"):
        if (root / sub).exists():
            shutil.copytree(root / sub, tmp / sub)
    for key in ("tenures", "targets"):
        if m.get(key):
            t = pd.read_csv(root / m[key], dtype=str)
            t[t["district_code"].isin(codes)].to_csv(tmp / m[key], index=False)
    m.pop("imagery", None)
    m.pop("landcover", None)
    (tmp / "package.yaml").write_text(yaml.safe_dump(m, allow_unicode=True), "utf-8")
    tmp.rename(target)
    return target


def postgis_status(url: str) -> str | None:
    """None when PostGIS answers (starting it when we are root and it does not), else why not."""
    try:
        import psycopg
    except ImportError:
        return "psycopg 未安装（pip install 'gisaudit[postgis]'）"
    dsn = url.replace("postgresql+psycopg://", "postgresql://")

    def ping() -> str | None:
        try:
            with psycopg.connect(dsn, connect_timeout=5) as conn:
                conn.execute("SELECT postgis_version()")
            return None
        except Exception as exc:
            return str(exc).strip().splitlines()[0]

    why = ping()
    if why and os.geteuid() == 0 and (ROOT / "scripts" / "start-postgis.sh").exists():
        subprocess.run(["bash", str(ROOT / "scripts" / "start-postgis.sh")], check=False,
                       capture_output=True, timeout=120)
        why = ping()
    elif why:
        why += "（非 root，未尝试启动 PostgreSQL：请运行 scripts/start-postgis.sh）"
    return why


def compare(reference: Path, other: Path) -> str:
    """Largest relative gap of a cell (cells ≥ 1 ha) and of the total, as text."""
    if not reference.exists() or not other.exists():
        return "—"
    a = pd.read_csv(reference, dtype={"district_code": str})
    b = pd.read_csv(other, dtype={"district_code": str})
    keys = ["district_code", "from_group", "to_group"]
    j = a.merge(b, on=keys, how="outer", suffixes=("_g", "_o")).fillna(0.0)
    big = j["area_m2_g"] >= 1e4
    cell = ((j["area_m2_o"] - j["area_m2_g"]).abs()[big] / j["area_m2_g"][big]).max()
    total = abs(j["area_m2_o"].sum() - j["area_m2_g"].sum()) / j["area_m2_g"].sum()
    return f"max cell {100 * cell:.5f} %, total {100 * total:.5f} %"


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    load = os.getloadavg()
    return (f"{os.cpu_count()} cores ({cpu}), {mem / 1024**2:.1f} GB RAM, Python "
            f"{platform.python_version()}, load average at the end "
            f"{load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", type=Path, default=HERE / "data" / "package")
    ap.add_argument("--work", type=Path, default=HERE / "data",
                    help="where the subsets, each method's results and results.md go")
    ap.add_argument("--patches", type=int, default=1_000_000)
    ap.add_argument("--subset", default="120110,120112", help="districts for the baselines")
    ap.add_argument("--methods", default="geopandas,postgis,raster")
    ap.add_argument("--full-baselines", action="store_true")
    ap.add_argument("--skip-full", action="store_true", help="no gisaudit run on the package")
    ap.add_argument("--no-validate", action="store_true",
                    help="skip `gisaudit validate` for packages the validated-package cache "
                         "already holds")
    ap.add_argument("--timeout", type=float, default=900.0, help="per method, seconds")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each gisaudit row (seconds each); the median is reported")
    ap.add_argument("--vintages", metavar="START,END",
                    help="the tenure's start and end vintage (default: those of the package's "
                         "longest tenure), e.g. 2018-12-31,2020-12-31 (~2 %% changed: the "
                         "issue's case)")
    ap.add_argument("--postgis-url", default=os.environ.get("GISAUDIT_BENCH_POSTGIS", DEFAULT_URL))
    opts = ap.parse_args()

    built = ensure_package(opts.package, opts.patches)
    root = opts.package.resolve()
    start, end = opts.vintages.split(",") if opts.vintages else tenure_vintages(root)
    known = vintage_dates(root)
    if not {start, end} <= set(known):
        raise SystemExit(f"--vintages: {start} 或 {end} 不是数据包的现状年份"
                         f"（有 {'、'.join(known)}）")
    codes = sorted(opts.subset.split(","))
    data = opts.work.resolve()
    work = data / "runs"
    work.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []

    def run(label: str, method: str, pkg: Path, scope: str, *extra: str, repeat: int = 1) -> dict:
        """Measure a method ``repeat`` times and keep the run of median wall time (its files:
        each run writes the same results)."""
        out = work / f"{label}.csv"
        runs = []
        for n in range(repeat):
            for p in (out, out.with_suffix(".json")):
                p.unlink(missing_ok=True)
            print(f"running {label} ..." + (f" ({n + 1}/{repeat})" if repeat > 1 else ""),
                  flush=True)
            res = measure([PY, "-m", "benchmarks.methods", method, str(pkg), start, end,
                           str(out), *extra], opts.timeout)
            res["info"] = json.loads(out.with_suffix(".json").read_text()) if res["rc"] == 0 else {}
            runs.append(res)
            if res["rc"] != 0:
                print(res["log"], flush=True)
                break
        res = sorted(runs, key=lambda r: r["wall_s"])[(len(runs) - 1) // 2]
        row = {"label": label, "method": method, "scope": scope, **res, "csv": out,
               "walls": [r["wall_s"] for r in runs]}
        rows.append(row)
        return row

    def validate(label: str, pkg: Path, scope: str) -> None:
        print(f"running {label} ...", flush=True)
        res = measure([PY, "-c", "from gisaudit.cli import main; main()", "validate", str(pkg)],
                      opts.timeout * 4)
        rows.append({"label": label, "method": "validate", "scope": scope, **res, "info": {}})

    n_all = pyogrio.read_info(vintage_path(root, start))["features"]
    sub = make_subset(root, codes,
                      data / f"subset-{n_all}-{source_key(root)}-{'-'.join(codes)}")
    n_sub = pyogrio.read_info(vintage_path(sub, start))["features"]
    scope_sub = f"{len(codes)} 区 ({n_sub:,} 图斑/期)"
    n_districts = pyogrio.read_info(root / manifest(root)["districts"]["path"])["features"]
    scope_all = f"{n_districts} 区 ({n_all:,} 图斑/期)"
    # as an auditor would: validate the delivery once, then evaluate. ``--no-validate`` skips
    # only packages the validated-package cache still holds (it keeps the newest three: an
    # evicted one would otherwise be read from its raw layers and timed as such)
    for label, pkg, scope, wanted in (("validate-subset", sub, scope_sub, True),
                                      ("validate-full", root, scope_all, not opts.skip_full)):
        if wanted and not (opts.no_validate and is_cached(pkg)):
            validate(label, pkg, scope)
    # gisaudit first, before any baseline (a PostGIS server still busy after its query
    # would slow the next process); each gisaudit row is run ``--repeat`` times
    ref_sub = run("gisaudit-subset", "gisaudit", sub, scope_sub, repeat=opts.repeat)
    if not opts.skip_full:
        ref_all = run("gisaudit-full", "gisaudit", root, scope_all, repeat=opts.repeat)
        run("gisaudit-all-tenures", "gisaudit-all", root, f"{scope_all}, 全部任期",
            repeat=opts.repeat)
    else:
        ref_all = None
    pg_why = postgis_status(opts.postgis_url) if "postgis" in opts.methods else "未选择"
    for method in opts.methods.split(","):
        if method == "postgis" and pg_why:
            rows.append({"label": "postgis-subset", "method": "postgis", "scope": scope_sub,
                         "rc": f"缺失：{pg_why}", "wall_s": None, "rss_mb": None, "info": {}})
            continue
        extra = (opts.postgis_url,) if method == "postgis" else ()
        run(f"{method}-subset", method, sub, scope_sub, *extra)
    if not opts.skip_full and opts.full_baselines:
        for method in opts.methods.split(","):
            if method == "postgis" and pg_why:
                continue
            extra = (opts.postgis_url,) if method == "postgis" else ()
            run(f"{method}-full", method, root, scope_all, *extra)
    print_table(rows, ref_sub, ref_all, start, end, built, data / "results.md")


def print_table(rows: list[dict], ref_sub: dict, ref_all: dict | None, start: str, end: str,
                built: dict | None, path: Path) -> None:
    """Print the results table and write it to ``path`` (Markdown)."""
    lines = [f"期初 {start} → 期末 {end}；{machine()}", "",
             "| method | scope | wall s | CPU s | peak RSS MB | peak private MB "
             "| ratio to gisaudit | agreement | notes |",
             "|---|---|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        ref = ref_all if r["label"].endswith("-full") and ref_all else ref_sub
        wall = r.get("wall_s")
        info = r.get("info", {})
        notes = []
        if r["method"] == "postgis" and "query_s" in info:
            wall_q = info["query_s"]
            notes.append(f"load {info['load_s']:.1f} s, query {wall_q:.1f} s (ratio on query)")
            wall_ratio = wall_q
        else:
            wall_ratio = wall
        if r["method"].startswith("gisaudit") and "read_s" in info:
            notes.append(f"read {info['read_s']:.1f} s, {info['tenures']} 任期, "
                         f"{info['overlays']} 次叠加, {info['leads']} 疑点, "
                         + (f"{info['processes']} 进程, " if info.get("processes")
                            else f"{info.get('threads', 1)} 线程, ")
                         + "读自"
                         f"{'校验缓存' if info.get('source') == 'cache' else '原始图层'}")
        if len(r.get("walls", [])) > 1:
            notes.append(f"{len(r['walls'])} 次运行取中位数（{min(r['walls']):.1f}–"
                         f"{max(r['walls']):.1f} s）")
        if "slivers_lt_1m2" in info:
            notes.append(f"{info['pieces']:,} pieces, {info['slivers_lt_1m2']:,} < 1 m²")
        if r["rc"] not in (0,):
            notes.append(str(r["rc"]))
        plain = r["method"] in ("gisaudit-all", "validate")  # nothing to compare with
        ratio = (f"{wall_ratio / ref['wall_s']:.1f}×" if wall_ratio and ref and ref.get("rc") == 0
                 and r is not ref and not plain
                 else "1.0×" if r is ref else "—")
        agree = ("—" if r is ref or plain or r["rc"] != 0
                 else compare(ref["csv"], r["csv"]))
        if r["method"] == "validate" and r["rc"] == 0:
            notes.append("gisaudit validate：读取、修复、查重叠与空隙，写校验缓存（每批一次）")
        lines.append(
            f"| {r['label']} | {r['scope']} | {wall:.1f} | {r['cpu_s']:.1f} | {r['rss_mb']:.0f} | "
            f"{r.get('anon_mb', 0):.0f} | {ratio} | {agree} | {'; '.join(notes)} |"
            if wall is not None else
            f"| {r['label']} | {r['scope']} | — | — | — | — | — | — | {r['rc']} |")
    if built:
        lines.append(
            f"\n样例数据包生成：{built['wall_s']:.0f} s，峰值内存 {built['rss_mb']:.0f} MB"
        )
    text = "\n".join(lines)
    print(text)
    path.write_text(text + "\n", "utf-8")


if __name__ == "__main__":
    main()
