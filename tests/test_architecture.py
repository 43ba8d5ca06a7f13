"""The data flows one way: lower layers never import higher ones (checked on the source)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package (path prefix) -> module prefixes it must never import
FORBIDDEN = {
    "gisaudit/layers": ["gisaudit.change", "gisaudit.indicators", "gisaudit.evaluation",
                        "gisaudit.reports", "gisaudit.leads", "gisaudit.storage", "api", "web",
                        "fastapi", "folium", "sqlalchemy"],
    "gisaudit/change": ["gisaudit.indicators", "gisaudit.evaluation", "gisaudit.reports",
                        "gisaudit.storage", "api", "web", "fastapi", "folium", "sqlalchemy"],
    "gisaudit/indicators": ["gisaudit.evaluation", "gisaudit.reports", "gisaudit.storage",
                            "api", "web", "fastapi", "folium", "sqlalchemy"],
    "gisaudit/geodesy.py": ["gisaudit.", "api", "web"],
    "gisaudit/errors.py": ["gisaudit.", "api", "web"],
    "gisaudit": ["api", "web", "fastapi", "starlette", "folium"],
    "web": ["api", "fastapi", "sqlalchemy", "gisaudit.storage"],
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


# composition roots may import the layers above them (lazily, inside commands)
COMPOSITION_ROOTS = {ROOT / "gisaudit" / "cli.py"}


def _files(prefix: str) -> list[Path]:
    target = ROOT / prefix
    if target.is_file():
        return [target]
    found = sorted(target.rglob("*.py")) if target.exists() else []
    return [p for p in found if p not in COMPOSITION_ROOTS]


@pytest.mark.parametrize("prefix", list(FORBIDDEN))
def test_import_direction(prefix):
    bad = []
    for path in _files(prefix):
        for name in _imports(path):
            for banned in FORBIDDEN[prefix]:
                if name == banned.rstrip(".") or name.startswith(banned.rstrip(".") + ".") or (
                    banned.endswith(".") and name.startswith(banned)
                ):
                    bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)


def test_the_library_exists():
    assert _files("gisaudit"), "gisaudit/ has no modules"
