"""The shape of the codebase, enforced: imports flow one way, ``ml`` stays pillar-agnostic, modules
stay small enough to read in one sitting.

Every ``import``/``from ... import`` of a ``nulearn`` module anywhere in a file counts, including
imports inside functions (a lazy import that reaches back up the chain is still a cycle in the
design) and excluding ``if TYPE_CHECKING:`` blocks (annotations only).
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "nulearn"
MAX_MODULE_LINES = 700

#: Role order inside each area: a module may import its own role and roles to its left only.
ROLES: dict[str, tuple[str, ...]] = {
    "nulearn.flavor": ("physics", "data", "models", "evaluation", ("deploy", "studies")),  # type: ignore[dict-item]
    "nulearn.cosmo": ("theory", "data", "models", "evaluation", "study"),
    "nulearn.detector.cvn": ("data", "models", "evaluation", "study"),
    "nulearn.detector.tpc": ("physics", "data", "models", "evaluation", "study"),
    "nulearn.detector.optical": ("physics", "data", "models", "evaluation", "study"),
    "nulearn.detector.lartpc": ("physics", "data", "models", "evaluation", "study"),
}
PILLARS = ("nulearn.flavor", "nulearn.cosmo", "nulearn.detector")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in ast.walk(node):
                if hasattr(child, "lineno"):
                    lines.add(child.lineno)
    return lines


def _imports(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text())
    skip = _type_checking_lines(tree)
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("nulearn"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.startswith("nulearn"):
                yield target
                # ``from pkg import module`` imports the submodule.
                for alias in node.names:
                    if (
                        (PACKAGE.parent / (target + "." + alias.name).replace(".", "/"))
                        .with_suffix(".py")
                        .exists()
                    ):
                        yield f"{target}.{alias.name}"


@cache
def graph() -> dict[str, set[str]]:
    """Module -> the nulearn modules it imports (package imports resolved to the package)."""
    return {
        _module_name(p): set(_imports(p)) - {_module_name(p)} for p in sorted(PACKAGE.rglob("*.py"))
    }


def _role(module: str, area: str) -> int | None:
    if not module.startswith(area + "."):
        return None
    head = module[len(area) + 1 :].split(".")[0]
    for rank, role in enumerate(ROLES[area]):
        if head == role or (isinstance(role, tuple) and head in role):
            return rank
    return None


def test_ml_imports_no_pillar() -> None:
    offenders = {
        (m, t)
        for m, targets in graph().items()
        if m.startswith("nulearn.ml")
        for t in targets
        if t.startswith(PILLARS)
    }
    assert not offenders, f"nulearn.ml must not import a pillar: {sorted(offenders)}"


def test_pillars_do_not_import_each_other() -> None:
    offenders = set()
    for m, targets in graph().items():
        own = next((p for p in PILLARS if m == p or m.startswith(p + ".")), None)
        if own is None:
            continue
        offenders |= {(m, t) for t in targets if t.startswith(PILLARS) and not t.startswith(own)}
    assert not offenders, f"a pillar imports another: {sorted(offenders)}"


@pytest.mark.parametrize("area", sorted(ROLES))
def test_imports_flow_one_way_through_the_roles(area: str) -> None:
    offenders = []
    for m, targets in graph().items():
        mine = _role(m, area)
        if mine is None:
            continue
        for t in targets:
            theirs = _role(t, area)
            if theirs is not None and theirs > mine:
                offenders.append(f"{m} -> {t}")
            if t.startswith("nulearn.cli"):
                offenders.append(f"{m} -> {t}")
    assert not offenders, "imports against the role order:\n" + "\n".join(sorted(offenders))


def test_deploy_and_studies_are_independent() -> None:
    offenders = [
        f"{m} -> {t}"
        for m, targets in graph().items()
        for t in targets
        if (m.startswith("nulearn.flavor.deploy") and t.startswith("nulearn.flavor.studies"))
        or (m.startswith("nulearn.flavor.studies") and t.startswith("nulearn.flavor.deploy"))
    ]
    assert not offenders, offenders


def test_no_import_cycles() -> None:
    g = graph()
    # Importing a package runs its __init__, so an edge to a submodule also reaches its parents.
    edges = {m: {t for t in ts if t in g} for m, ts in g.items()}
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    # A package's __init__ re-exporting from its own submodules is not a cycle in the design.
    real = [c for c in cycles if not any(a.startswith(b + ".") for a, b in itertools.pairwise(c))]
    assert not real, "import cycles:\n" + "\n".join(" -> ".join(c) for c in real)


def test_modules_are_small() -> None:
    big = {
        str(p.relative_to(SRC)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not big, f"modules over {MAX_MODULE_LINES} lines: {big}"


def test_physics_imports_nothing_downstream() -> None:
    downstream = (
        *tuple(
            f"nulearn.flavor.{r}" for r in ("data", "models", "evaluation", "deploy", "studies")
        ),
        "nulearn.cli",
    )
    offenders = [
        f"{m} -> {t}"
        for m, targets in graph().items()
        if m.startswith("nulearn.flavor.physics")
        for t in targets
        if t.startswith(downstream)
    ]
    assert not offenders, offenders
