"""The import graph of src has no cycles (issue 10, item 9).

Checked on the imports that run (those under `if TYPE_CHECKING:` are left out: they exist for
mypy only). import-linter, run by .ci/run, checks the layers; this test checks what it does not.
"""

from __future__ import annotations

import grimp


def _graph() -> dict[str, set[str]]:
    graph = grimp.build_graph("sensor_tui", exclude_type_checking_imports=True)
    return {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}


def find_cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(imports.get(module, ())):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1 or module in imports.get(module, ()):
                groups.append(sorted(group))

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return groups


def test_issue10_find_cycles_finds_a_cycle():
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(imports) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_issue10_src_import_graph_has_no_cycles():
    imports = _graph()
    assert "sensor_tui.pipeline" in imports  # the graph was really built
    assert find_cycles(imports) == []
