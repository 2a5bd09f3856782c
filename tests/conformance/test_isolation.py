"""The conformance package is pure: no Flask, no database, only httpx/httpcore, rdflib and the standard library."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pilots.conformance

PACKAGE = Path(pilots.conformance.__file__).resolve().parent
PROJECT = PACKAGE.parent.parent


def test_importing_it_does_not_import_flask_or_sqlalchemy():
    check = "import sys, pilots.conformance, pilots.conformance.cli; assert 'flask' not in sys.modules and 'sqlalchemy' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", check], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


def test_modules_import_only_the_allowed_libraries():
    allowed = {"httpx", "httpcore", "rdflib", "pilots"} | set(sys.stdlib_module_names)
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
                if name.startswith("pilots"):
                    assert name.startswith("pilots.conformance"), f"{path.name} imports {name}"
