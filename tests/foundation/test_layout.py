"""The layout rules the house style promises, checked over the source tree.

- no module over ~400 lines (420 allowed: "about" 400, not a licence for 600);
- no package imports another package's private (``_``) names or modules;
- every package declares in its pyproject each distribution it imports (workspace ones included).
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(p.name for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").is_file())
MAX_LINES = 420
# Optional extras that are not installed for the test run: import name -> distribution.
OPTIONAL = {
    "newsplease": "news-please",
    "ray": "ray",
    "boto3": "boto3",
    "botocore": "botocore",
    "s3fs": "s3fs",
}


def _modules(pkg: str) -> list[Path]:
    return sorted((ROOT / "packages" / pkg / "src").rglob("*.py"))


def _top_name(pkg: str) -> str:
    return tomllib.loads((ROOT / "packages" / pkg / "pyproject.toml").read_text())["tool"]["uv"][
        "build-backend"
    ]["module-name"]


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) for every import statement, absolute imports only."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.module, [a.name for a in node.names]))
    return out


@pytest.mark.parametrize("pkg", PACKAGES)
def test_no_module_is_over_about_400_lines(pkg: str) -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules(pkg)
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, long


@pytest.mark.parametrize("pkg", PACKAGES)
def test_no_package_imports_another_packages_private_names(pkg: str) -> None:
    mine = _top_name(pkg)
    others = {_top_name(p) for p in PACKAGES} - {mine}
    bad = []
    for path in _modules(pkg):
        for module, names in _imports(path):
            parts = module.split(".")
            if parts[0] not in others:
                continue
            if any(part.startswith("_") for part in parts[1:]) or any(n.startswith("_") for n in names):
                bad.append(f"{path.relative_to(ROOT)}: from {module} import {', '.join(names)}")
    assert not bad, bad


def _declared(pkg: str) -> set[str]:
    deps = tomllib.loads((ROOT / "packages" / pkg / "pyproject.toml").read_text())["project"]["dependencies"]
    extras = tomllib.loads((ROOT / "packages" / pkg / "pyproject.toml").read_text())["project"].get(
        "optional-dependencies", {}
    )
    names = [*deps, *(d for group in extras.values() for d in group)]
    return {re.split(r"[\s<>=!~\[;]", d, maxsplit=1)[0].lower().replace("_", "-") for d in names}


@pytest.mark.parametrize("pkg", PACKAGES)
def test_every_imported_distribution_is_declared(pkg: str) -> None:
    dist_of = {k: list(v) for k, v in importlib.metadata.packages_distributions().items()}
    for name, dist in OPTIONAL.items():
        dist_of.setdefault(name, [dist])
    for member in PACKAGES:  # workspace members are editable installs: map them from their pyprojects
        project = tomllib.loads((ROOT / "packages" / member / "pyproject.toml").read_text())["project"]
        dist_of[_top_name(member)] = [project["name"]]
    mine = _top_name(pkg)
    missing = set()
    for path in _modules(pkg):
        for module, _ in _imports(path):
            top = module.split(".")[0]
            if top == mine or top in sys.stdlib_module_names or top == "__future__":
                continue
            dists = {d.lower().replace("_", "-") for d in dist_of.get(top, [])}
            if not dists:
                missing.add(f"{top} (no installed distribution provides it)")
            elif not dists & _declared(pkg):
                missing.add(f"{top} ({', '.join(sorted(dists))}) in {path.relative_to(ROOT)}")
    assert not missing, sorted(missing)
