"""The estimate chain sits below the features that call it: they import ``joulescope_free.chain``; only the
package's lazy ``__init__`` and the CLI import the public façade ``joulescope_free.api``, so no import circle runs
through it (read from the source with ``ast``, not by importing)."""
import ast
from pathlib import Path

import pytest

import joulescope_free

PKG = Path(joulescope_free.__file__).parent
API = "joulescope_free.api"
CHAIN = "joulescope_free.chain"


def module_name(path: Path) -> str:
    parts = ["joulescope_free", *path.relative_to(PKG).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_reader_resolves_relative_imports():
    # controls: these imports are known to exist, so the checks below are not vacuous
    assert API in GRAPH["joulescope_free.cli"]  # from .api import estimate
    assert "joulescope_free.measure.api" in GRAPH["joulescope_free.measure.calibrate"]  # from .api import measure
    assert API not in GRAPH["joulescope_free.measure.calibrate"]
    assert "joulescope_free.errors" in GRAPH["joulescope_free.render.xlsx"]  # from ..errors import UserError


def test_only_init_and_the_cli_import_the_public_api():
    importers = {name for name, imported in GRAPH.items() if API in imported}
    assert importers == {"joulescope_free", "joulescope_free.cli"}


def test_estimate_calibrate_validate_and_review_share_the_chain_module():
    for name in ("joulescope_free.api", "joulescope_free.measure.calibrate", "joulescope_free.validation",
                 "joulescope_free.review"):
        assert CHAIN in GRAPH[name], name


def test_the_chain_imports_none_of_the_features_that_call_it():
    # what the chain reads sits below it and its callers: the calibration file format (joulescope_free.calibration)
    # and the error bands (joulescope_free.bands)
    callers = {API, "joulescope_free.cli", "joulescope_free.review", "joulescope_free.measure.calibrate",
               "joulescope_free.validation"}
    assert not GRAPH[CHAIN] & callers
    assert "joulescope_free.calibration" in GRAPH[CHAIN] and "joulescope_free.calibration" in GRAPH[
        "joulescope_free.measure.calibrate"]


def test_the_public_names_still_work():
    import joulescope_free.api as api
    import joulescope_free.chain as chain

    assert joulescope_free.estimate is chain.estimate is api.estimate
    assert api.Estimate is chain.Estimate and callable(joulescope_free.sweep) and callable(joulescope_free.analyze)
    assert {"analyze", "estimate", "sweep", "calibrate", "validate"} <= set(dir(joulescope_free))


# ------------------------------------------------------------------------------------------------ no import circles
# Edges between modules, lazy imports inside functions included: ``from a import b`` is an edge to ``a.b`` when that
# is a module, else to ``a``. A name read from the package root that its ``__init__`` defines itself
# (``from .. import __version__``) is no edge: the root's own imports are ``errors`` at load time and, in its lazy
# ``__getattr__``, the public façade over everything (api, review, measure, validation).
KERNEL_SIM = PKG.parent / "kernel_sim"


def root_globals() -> set:
    tree = ast.parse((PKG / "__init__.py").read_text(encoding="utf-8"))
    out = set()
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            out.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.ImportFrom):
            out.update(a.asname or a.name for a in node.names)
    return out


def module_edges(path: Path, name: str, modules: set, package: list, own_names=frozenset()) -> set:
    """The modules among ``modules`` that ``path`` (module ``name`` in ``package``) imports anywhere in its code."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in modules:
                    out.add(sub)
                elif not (target == "joulescope_free" and alias.name in own_names):
                    out.add(target)
    return {m for m in out if m in modules and m != name}


def package_graph() -> dict:
    files = {module_name(p): p for p in sorted(PKG.rglob("*.py"))}
    own = root_globals()
    out = {}
    for name, path in files.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        out[name] = module_edges(path, name, set(files), package, own)
    return out


#: the package's import edges (module -> the modules it imports anywhere), read once for the layer checks above
GRAPH = package_graph()


def kernel_sim_graph() -> dict:
    """kernel_sim's modules import each other as top-level modules (its scripts put the folder on sys.path)."""
    files = {p.stem: p for p in sorted(KERNEL_SIM.glob("*.py"))}
    return {name: module_edges(path, name, set(files), []) for name, path in files.items()}


def circles(graph: dict) -> list:
    """Every group of modules that import each other, directly or around a loop (strongly connected, size > 1)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_circle_finder_finds_circles():
    # a made-up graph with a two-module circle, a three-module loop and a plain chain
    graph = {"a": {"b"}, "b": {"a", "c"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"a"}}
    assert sorted(circles(graph)) == [["a", "b"], ["c", "d", "e"]]
    assert circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_graphs_see_lazy_imports():
    # controls: imports known to sit inside functions, so the circle checks below are not vacuous
    pkg, sim = GRAPH, kernel_sim_graph()
    assert "joulescope_free.hardware.kernels" in pkg["joulescope_free.hardware.runtimes"]  # in with_build
    assert "joulescope_free.render.html" in pkg["joulescope_free.review"]  # in report
    assert "joulescope_free.review" in pkg["joulescope_free"]  # the lazy façade
    assert "esp_nn_readme" in sim["lib_esp_nn_generic"]  # in write_published
    assert {"sim", "sim_riscv", "esp_nn"} <= sim["lib_esp_nn_generic"] and "sim" in sim["sim_riscv"]


def explain(graph: dict) -> str:
    """The failure message: each circle's imports, so the fix (move the shared piece below both) is visible."""
    return "; ".join(" and ".join(f"{a} imports {b}" for a in group for b in sorted(graph[a]) if b in group)
                     for group in circles(graph))


def test_no_import_circles_in_the_package():
    assert circles(GRAPH) == [], explain(GRAPH)


def test_no_import_circles_in_the_kernel_simulator():
    graph = kernel_sim_graph()
    assert circles(graph) == [], explain(graph)


def test_one_name_one_thing_report_is_the_feature_render_is_the_package():
    # jf.report is the design-review function, whatever was imported before; the rendering package is
    # joulescope_free.render and nothing is importable as joulescope_free.report
    import importlib

    import joulescope_free.render.html  # noqa: F401
    import joulescope_free.review as review

    assert joulescope_free.report is review.report and joulescope_free.compare is review.compare
    assert not (PKG / "report").exists()
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("joulescope_free.report")
