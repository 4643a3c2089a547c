"""The core knows no screen: cards/ and planner/ import without Qt."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_core_imports_without_qt():
    code = """
import importlib, pkgutil, sys
class BlockQt:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'PyQt5', 'PyQt6', 'shiboken6'):
            raise ImportError('Qt is not allowed in the core: ' + name)
sys.meta_path.insert(0, BlockQt())
for package in ('cards', 'planner'):
    pkg = importlib.import_module(package)
    for info in pkgutil.walk_packages(pkg.__path__, package + '.'):
        importlib.import_module(info.name)
print('ok')
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
