"""The house stays readable: bridge/ by role, packages importing only the ones below them, no
import circle, no module over 350 lines (read from the code's own imports with ``ast``)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

BRIDGE = Path(__file__).resolve().parent.parent / "bridge"

#: Each package (or top-level module) and the floor it stands on; an import may only go to
#: the same package or a lower floor.
FLOORS = {
    "errors": 0,
    "syllables": 1, "model": 1,
    "song": 2,
    "stream": 3,
    "sonicpi": 4, "training": 4,
    "web": 5, "midi": 5, "jam": 5, "voice": 5,
    "cli": 6, "__main__": 7, "__init__": 0,
}


def modules() -> dict[str, Path]:
    out = {}
    for path in BRIDGE.rglob("*.py"):
        parts = list(path.relative_to(BRIDGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The bridge modules a file imports, at the top or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("bridge"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "bridge") and node.level == 0:
            subs = {f"{node.module}.{a.name}" for a in node.names} & set(known)
            found.update(subs or {node.module})
    return {m for m in found if m in known}


def package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_bridge_holds_at_most_14_entries_each_with_a_role() -> None:
    entries = sorted(p.name for p in BRIDGE.iterdir() if p.name != "__pycache__")
    assert len(entries) <= 14, entries
    for entry in entries:
        name = entry.removesuffix(".py")
        assert name in FLOORS, f"{entry} has no place in the layout"


def test_no_module_is_over_350_lines() -> None:
    long = {str(p.relative_to(BRIDGE)): n for p in BRIDGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 350}
    assert not long, long


def test_imports_only_go_down_or_sideways_within_a_package() -> None:
    known = modules()
    upward = []
    for module, path in known.items():
        here = package(module)
        for target in imports(path, known):
            there = package(target)
            if there != here and FLOORS[there] >= FLOORS[here]:
                upward.append(f"{module} -> {target}")
    assert not upward, upward


def test_no_import_circle() -> None:
    known = modules()
    graph = defaultdict(set)
    for module, path in known.items():
        graph[module] = imports(path, known) - {module}
    # A package's __init__ is imported with its submodules: count only real edges.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        state[m] = 2
        stack.pop()
        return None

    for m in sorted(graph):
        if m not in state:
            assert (circle := visit(m)) is None, " -> ".join(circle or [])
