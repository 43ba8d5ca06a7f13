"""`gisaudit user add` and `gisaudit serve` through the real command line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gisaudit.cli import app
from gisaudit.storage import make_engine, session_scope
from gisaudit.storage.repository import authenticate_user


def test_user_add_reads_password_from_stdin(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/db.sqlite"
    monkeypatch.setenv("GISAUDIT_DATABASE_URL", url)
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "user",
            "add",
            "审计员甲",
            "--role",
            "auditor",
            "--district",
            "120110",
            "--district",
            "120116",
        ],
        input="口令-123\n",
    )
    assert r.exit_code == 0, r.output
    assert "120110、120116" in r.output
    engine = make_engine(url)
    with session_scope(engine) as s:
        user = authenticate_user(s, "审计员甲", "口令-123")
        assert user is not None and user.district_codes == ["120110", "120116"]
    engine.dispose()
    again = runner.invoke(app, ["user", "add", "审计员甲", "--role", "auditor"], input="x\n")
    assert again.exit_code == 1 and "已存在" in again.output
    bad = runner.invoke(app, ["user", "add", "乙", "--role", "boss"], input="x\n")
    assert bad.exit_code == 1 and "角色" in bad.output and "Traceback" not in bad.output
    empty = runner.invoke(app, ["user", "add", "丙", "--role", "viewer"], input="\n")
    assert empty.exit_code == 1 and "密码不能为空" in empty.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_serve_starts_the_api(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "GISAUDIT_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite",
        "GISAUDIT_DATA_DIR": str(tmp_path / "data"),
    }
    cli = Path(sys.executable).parent / "gisaudit"
    proc = subprocess.Popen(
        [str(cli), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert r.json() == {"status": "ok", "database": "ok"}
        assert (tmp_path / "data" / "secret_key").is_file()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
