"""The packages depend on each other in one direction only:

    core <- booking <- auth <- notify <- {fairness, counter, integrations} <- {citizen, admin}
         <- app

A module may import from its own package and from lower layers, never from a higher layer or
from a sibling of its own layer (fairness and counter do not know each other; neither do the
citizen pages and the administration). Imports inside functions count: a lazy import that
dodges a cycle is still the cycle. Imports under `if TYPE_CHECKING:` name types for annotations
only and are not followed."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "terminvergabe"

# Lowest first. Each entry: a layer, as the top-level names (modules or packages) in it.
LAYERS = [
    {
        "db",
        "time",
        "config",
        "errors",
        "i18n",
        "limiter",
        "params",
        "fields",
        "request_guard",
        "audit",
        "events",
        "cache",
        "metrics",
        "security",
        "logs",
    },
    {"booking"},
    {"auth"},
    {"notify"},
    {"fairness", "counter", "integrations"},
    {"citizen", "admin"},
    {"__init__", "health"},
]


def _layer_of(name: str) -> int:
    for index, names in enumerate(LAYERS):
        if name in names:
            return index
    raise AssertionError(f"terminvergabe.{name} is in no layer: add it to LAYERS in {__file__}")


def _top_level(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _is_module(name: str) -> bool:
    return (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").exists()


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    """ids of the import nodes under `if TYPE_CHECKING:`."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            skipped.update(id(child) for part in node.body for child in ast.walk(part))
    return skipped


def _imported(tree: ast.AST):
    """(line, top-level name) of every terminvergabe module the tree imports."""
    skipped = _type_checking_blocks(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "terminvergabe" and len(parts) > 1:
                    yield node.lineno, parts[1]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] != "terminvergabe":
                continue
            if len(parts) > 1:
                yield node.lineno, parts[1]
            else:  # from terminvergabe import errors, i18n (or a name of the app factory's)
                for alias in node.names:
                    yield node.lineno, alias.name if _is_module(alias.name) else "__init__"


def forbidden_imports() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = _top_level(path)
        own = _layer_of(importer)
        for line, imported in _imported(ast.parse(path.read_text(), str(path))):
            if imported == importer:
                continue
            other = _layer_of(imported)
            if other > own or (other == own and 0 < own < len(LAYERS) - 1):
                where = path.relative_to(PACKAGE.parent)
                problems.append(f"{where}:{line} imports terminvergabe.{imported}")
    return problems


def test_dependencies_point_one_way():
    assert forbidden_imports() == []


def test_the_check_sees_a_forbidden_import(tmp_path, monkeypatch):
    """booking importing the citizen pages is refused (the check is not vacuous)."""
    package = tmp_path / "terminvergabe"
    (package / "booking").mkdir(parents=True)
    (package / "citizen").mkdir()
    (package / "booking" / "operations.py").write_text(
        "def hold():\n    from terminvergabe.citizen import views\n"
    )
    (package / "citizen" / "views.py").write_text("from terminvergabe.booking import operations\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["PACKAGE"]), "PACKAGE", package)
    assert forbidden_imports() == [
        "terminvergabe/booking/operations.py:2 imports terminvergabe.citizen"
    ]
