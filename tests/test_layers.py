"""The package's layers: each top-level subpackage imports only the layers below it.

The layers, lowest first, are written once here and mirrored in ARCHITECTURE.md. A package
may import any package of a lower layer, none of its own layer or above; imports under
``if TYPE_CHECKING:`` and inside functions count too, so the graph holds for readers and type
checkers as well as at run time.
"""

from __future__ import annotations

import ast
from pathlib import Path

import watchkeeper

PACKAGE = Path(watchkeeper.__file__).parent

LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(layer.split())
    for layer in (
        "errors examples",  # the exception tree; the example workspace files (data)
        "clock durations locations quoting",
        "metric_names",  # the metric series' names and the model task, read by every layer above
        "config",
        "storage",
        "alerts simulate performance compute",
        "features modeling",
        "intake",
        "workspace",
        "registry",
        "monitoring",
        "training",
        "rollout",
        "application readiness report drill",
        "agent analysis serving",  # the agent runs the use cases on a schedule
        "stream",
        "demo",
        "cli",
        "__init__ __main__",  # the public API and ``python -m watchkeeper``
    )
)
RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}


def top_level(path: Path) -> str:
    """The top-level subpackage (or module) a source file belongs to."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imported_packages(source: str) -> set[str]:
    """The top-level watchkeeper subpackages a module's source imports.

    >>> sorted(imported_packages("from watchkeeper.storage.events.store import EventStore\\n"
    ...     "import watchkeeper.config\\nfrom watchkeeper import errors, __version__\\n"))
    ['config', 'errors', 'storage']
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "watchkeeper":
                names = [f"watchkeeper.{alias.name}" for alias in node.names]
            else:
                names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "watchkeeper" and len(parts) > 1 and parts[1] != "__version__":
                found.add(parts[1])
    return found


def layer_violations() -> dict[str, list[str]]:
    """Each ``file: imported package`` edge that points sideways or upwards."""
    violations: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        own = top_level(path)
        for imported in imported_packages(path.read_text(encoding="utf-8")):
            if imported != own and RANK[imported] >= RANK[own]:
                violations.setdefault(str(path.relative_to(PACKAGE)), []).append(imported)
    return violations


def test_every_top_level_package_has_a_layer() -> None:
    packages = {top_level(path) for path in PACKAGE.rglob("*.py")}
    assert packages - RANK.keys() == set(), "add the new package to LAYERS (and ARCHITECTURE.md)"
    assert RANK.keys() - packages == set(), "a layer names a package that no longer exists"


def test_imports_point_downwards_only() -> None:
    assert layer_violations() == {}, (
        "an import points sideways or upwards: move the shared piece down a layer"
    )


def test_the_check_sees_an_upward_import() -> None:
    source = "from watchkeeper.serving.app import create_app\n"
    assert RANK["storage"] < RANK["serving"]
    assert "serving" in imported_packages(source)
    assert imported_packages("import json\nfrom . import sibling\n") == set()


def test_architecture_lists_the_same_layers() -> None:
    text = (PACKAGE.parents[1] / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Import layers", 1)[1].split("\n## ", 1)[0]
    listed = [
        frozenset(line.split("|")[2].replace("`", "").replace(",", " ").split())
        for line in section.splitlines()
        if line.startswith("| ") and line.split("|")[1].strip().isdigit()
    ]
    assert tuple(listed) == LAYERS
