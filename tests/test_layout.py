"""The house's layout: simclr's packages import each other in one direction only, the library never imports
Streamlit, files stay small, ui/ imports no page and no page imports another page."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("augment", "model", "evaluate", "runs", "maps", "train", "data")
MAX_LINES = 250
LONG_FILES: dict[str, str] = {}  # path -> why it may stay over MAX_LINES (none today)


def imports(path: Path) -> set[str]:
    """Every module `path` imports, absolute names (from x import y counts as x and x.y)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def package_of(module: str) -> str | None:
    """simclr.evaluate.knn -> "evaluate"; a top-level module (simclr.loss) or another library -> None."""
    parts = module.split(".")
    return parts[1] if parts[0] == "simclr" and len(parts) > 2 and parts[1] in PACKAGES else None


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in PACKAGES}
    for path in sources("simclr"):
        here = package_of(".".join(path.relative_to(ROOT).with_suffix("").parts))
        if here is None:
            continue
        graph[here] |= {there for module in imports(path) if (there := package_of(module)) not in (None, here)}
    return graph


def test_the_package_graph_has_no_cycle():
    graph, done, path = package_graph(), set(), []

    def visit(name: str) -> None:
        assert name not in path, f"import cycle: {' -> '.join(path[path.index(name):] + [name])}"
        if name in done:
            return
        path.append(name)
        for there in sorted(graph[name]):
            visit(there)
        path.pop()
        done.add(name)

    for name in PACKAGES:
        visit(name)


def test_the_graph_walk_sees_the_packages_imports():
    graph = package_graph()
    assert {"runs", "evaluate", "model", "augment"} <= graph["train"]
    assert graph["data"] == set()


@pytest.mark.parametrize("path", sources("simclr"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_library_never_imports_streamlit(path):
    assert not {m for m in imports(path) if m.split(".")[0] == "streamlit"}


def test_files_stay_small():
    long = {str(p.relative_to(ROOT)): n for p in sources("simclr", "app_pages", "ui")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert set(long) <= set(LONG_FILES), long


def test_ui_imports_no_page():
    for path in sources("ui"):
        assert not {m for m in imports(path) if m.split(".")[0] == "app_pages"}, path


def test_no_page_imports_another_page():
    for path in sources("app_pages"):
        rel = path.relative_to(ROOT / "app_pages")
        own = f"app_pages.{rel.parts[0]}" if len(rel.parts) > 1 else f"app_pages.{rel.stem}"
        others = {m for m in imports(path) if m.startswith("app_pages.") and not (m + ".").startswith(own + ".")}
        assert not others, (path, others)
