"""The catalogue builder is pure: rdflib and the standard library, no Flask, no database."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pilots.dcat

PACKAGE = Path(pilots.dcat.__file__).resolve().parent
PROJECT = PACKAGE.parent.parent
CHECK = (
    "import sys, pilots.dcat; "
    "assert not {'flask', 'flask_babel', 'sqlalchemy', 'pyshacl'} & set(sys.modules), sorted(sys.modules)"
)


def test_importing_pilots_dcat_does_not_import_flask_sqlalchemy_or_pyshacl():
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


def test_modules_import_only_rdflib_the_standard_library_and_each_other():
    allowed_roots = {"rdflib", "pilots"} | set(sys.stdlib_module_names)
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
                assert name.split(".")[0] in allowed_roots, f"{path.name} imports {name}"
                if name.split(".")[0] == "pilots":
                    assert name.startswith("pilots.dcat"), f"{path.name} imports {name} from outside pilots.dcat"
