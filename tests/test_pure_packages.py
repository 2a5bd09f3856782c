"""The pure libraries (ranking engine, catalogue builder, conformance checker) need no Flask and no database:
the CLI, the web layer and the tests all call them with plain data. One check serves the three."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("flask", "flask_babel", "sqlalchemy", "pyshacl")

#: package -> (modules to import in the check, third-party libraries it may use)
PACKAGES = {
    "ranking": (("pilots.ranking", "pilots.ranking.contract"), {"numpy"}),
    "dcat": (("pilots.dcat",), {"rdflib", "rfc3986_validator"}),
    "conformance": (("pilots.conformance", "pilots.conformance.cli"), {"httpx", "httpcore", "rdflib"}),
}


def _check(modules: tuple[str, ...]) -> str:
    return f"import sys, {', '.join(modules)}; assert not {set(FORBIDDEN)!r} & set(sys.modules), sorted(sys.modules)"


@pytest.mark.parametrize("name", PACKAGES)
def test_importing_it_pulls_in_no_web_framework_or_database(name):
    modules, _ = PACKAGES[name]
    result = subprocess.run([sys.executable, "-c", _check(modules)], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("name", PACKAGES)
def test_the_package_alone_imports_under_an_empty_pilots(name, tmp_path):
    """A copy of the package under an empty ``pilots/__init__.py``: whatever the rest of the project imports,
    the package's own modules need nothing else."""
    modules, _ = PACKAGES[name]
    (tmp_path / "pilots").mkdir()
    (tmp_path / "pilots" / "__init__.py").write_text("")
    shutil.copytree(PROJECT / "pilots" / name, tmp_path / "pilots" / name, ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run([sys.executable, "-c", _check(modules)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("name", PACKAGES)
def test_modules_import_only_their_libraries_the_standard_library_and_each_other(name):
    _, libraries = PACKAGES[name]
    allowed = libraries | {"pilots"} | set(sys.stdlib_module_names)
    for path in sorted((PROJECT / "pilots" / name).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for imported in names:
                assert imported.split(".")[0] in allowed, f"{path.name} imports {imported}"
                if imported.startswith("pilots"):
                    assert imported.startswith(f"pilots.{name}"), f"{path.name} imports {imported} from outside pilots.{name}"
