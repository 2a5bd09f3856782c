"""The ranking engine is pure numpy: importing it must not pull in Flask, SQLAlchemy or the rest of pilots."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pilots.ranking

PACKAGE = Path(pilots.ranking.__file__).resolve().parent
PROJECT = PACKAGE.parent.parent
CHECK = "import sys, pilots.ranking; assert 'flask' not in sys.modules and 'sqlalchemy' not in sys.modules, sorted(sys.modules)"


def test_importing_pilots_ranking_does_not_import_flask_or_sqlalchemy():
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_package_alone_imports_without_flask(tmp_path):
    """The same check on a copy of the package under an empty ``pilots/__init__.py``: whatever the rest of
    the project imports, the engine's own modules need nothing beyond numpy and the standard library."""
    (tmp_path / "pilots").mkdir()
    (tmp_path / "pilots" / "__init__.py").write_text("")
    shutil.copytree(PACKAGE, tmp_path / "pilots" / "ranking", ignore=shutil.ignore_patterns("__pycache__"))
    check = CHECK.replace("import sys, pilots.ranking;", "import sys, pilots.ranking, pilots.ranking.contract;")
    result = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


def test_modules_import_only_numpy_the_standard_library_and_each_other():
    allowed_roots = {"numpy", "pilots"} | set(sys.stdlib_module_names)
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
                    assert name.startswith("pilots.ranking"), f"{path.name} imports {name} from outside pilots.ranking"
