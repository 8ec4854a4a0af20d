"""The architecture holds: packages import downwards only, and no module imports itself back.

DESIGN.md's flow of data is written as import-linter contracts in pyproject.toml; grimp reads
every import statement, at module level and inside functions (``TYPE_CHECKING`` blocks too),
so a cycle cannot hide behind a late import.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[1]


def _cycles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    found = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back:
                found.add((module, *back))
    return sorted(found)


def test_no_module_imports_itself_back_even_from_inside_a_function():
    graph = grimp.build_graph("msctrial")
    assert len(graph.modules) > 100, "grimp did not find the package's modules"
    assert _cycles(graph) == []


def test_a_late_import_that_closes_a_cycle_is_found():
    graph = grimp.build_graph("msctrial")
    graph.add_import(
        importer="msctrial.core.db", imported="msctrial.core.audit", line_number=1, line_contents=""
    )
    cycles = _cycles(graph)
    assert ("msctrial.core.audit", "msctrial.core.db", "msctrial.core.audit") in cycles


def test_packages_follow_the_layers_of_the_design():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    assert result.stdout.count(" KEPT") >= 2
