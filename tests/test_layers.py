"""The layers hold: the core knows no screen, and the command line never loads Qt unless asked for the window.

The import-linter contracts in pyproject.toml (run by `make lint`) check every import, inside
functions too; these tests check the same from the running program.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BLOCK_QT = """
import sys
class BlockQt:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'PyQt5', 'PyQt6', 'shiboken6'):
            raise ImportError('No module named ' + repr(name.split('.')[0]) + ' (blocked by the test)')
sys.meta_path.insert(0, BlockQt())
"""


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK_QT + code, *args], cwd=ROOT, capture_output=True, text=True)


def test_core_imports_without_qt():
    result = _python("""
import importlib, pkgutil
for package in ('cards', 'planner'):
    pkg = importlib.import_module(package)
    for info in pkgutil.walk_packages(pkg.__path__, package + '.'):
        importlib.import_module(info.name)
print('ok')
""")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_command_line_runs_without_qt(tmp_path):
    result = _python("import sys; from studyplanner.cli import main; sys.exit(main(sys.argv[1:]))",
                     "--db", str(tmp_path / "s.db"), "decks")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Transformers" in result.stdout


def test_a_broken_qt_says_so_and_fails(tmp_path):
    result = _python("import sys; from studyplanner.cli import main; sys.exit(main(sys.argv[1:]))",
                     "--db", str(tmp_path / "s.db"))  # fmt: skip
    assert result.returncode != 0
    assert "the window cannot start" in result.stderr
    assert "PySide6" in result.stderr
    assert result.stdout == ""  # it does not fall back to printing the decks
