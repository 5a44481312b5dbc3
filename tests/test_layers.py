"""The estimate chain sits below the features that call it: they import ``joulescope_free.chain``; only the
package's lazy ``__init__`` and the CLI import the public façade ``joulescope_free.api``, so no import circle runs
through it (read from the source with ``ast``, not by importing)."""
import ast
from pathlib import Path

import joulescope_free

PKG = Path(joulescope_free.__file__).parent
API = "joulescope_free.api"
CHAIN = "joulescope_free.chain"


def module_name(path: Path) -> str:
    parts = ["joulescope_free", *path.relative_to(PKG).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at top level or inside functions; ``from X import y`` counts X and X.y."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            out.add(target)
            out.update(f"{target}.{alias.name}" for alias in node.names)
    return out


GRAPH = {module_name(p): imports(p) for p in sorted(PKG.rglob("*.py"))}


def test_the_reader_resolves_relative_imports():
    # controls: these imports are known to exist, so the checks below are not vacuous
    assert API in GRAPH["joulescope_free.cli"]  # from .api import estimate
    assert "joulescope_free.measure.api" in GRAPH["joulescope_free.measure.calibrate"]  # from .api import measure
    assert API not in GRAPH["joulescope_free.measure.calibrate"]
    assert "joulescope_free.errors" in GRAPH["joulescope_free.report.xlsx"]  # from ..errors import UserError


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
