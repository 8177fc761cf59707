"""manyi's own import-linter contract types (used by `.importlinter`, run by `make lint`).

`feature_api`: each feature package declares, in its `__init__.py`, the sub-modules other
features may import, as a tuple of names::

    PUBLIC = ("domain", "tables")

An import from outside a feature into it must land on the feature package itself or on one of
those sub-modules (or below them); everything else in the feature is private to it. The
composition roots (the app factory, the CLI, the metadata registry, the demo) wire features
together and may import anything.

`no_clock`: the listed modules never read the clock (`datetime.now()`, `date.today()`,
`utcnow()`, `time.time()`, `time.monotonic()`, …): rules take `now` as an argument, so they are
tested at any instant and give the same answer twice.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import Any

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output
from importlinter.domain import helpers

# `datetime.now()`, `dt.date.today()`, `datetime.utcnow()`; and `time.time()`, `time.monotonic()`…
# (but not `dt.time(9, 0)`, which builds a time of day).
DATE_CLOCKS = {"now", "utcnow", "today"}
DATE_OWNERS = {"datetime", "date", "dt"}
TIME_CLOCKS = {"time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns"}


def _module_file(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin)


def _public_names(package: str) -> tuple[str, ...]:
    path = _module_file(package)
    if path is None or path.name != "__init__.py":
        return ()
    for node in ast.parse(path.read_text()).body:
        # `PUBLIC = (...)` or, annotated, `PUBLIC: tuple[str, ...] = (...)`.
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if (
            any(isinstance(t, ast.Name) and t.id == "PUBLIC" for t in targets)
            and isinstance(node, ast.Assign | ast.AnnAssign)
            and isinstance(node.value, ast.Tuple | ast.List)
        ):
            return tuple(
                elt.value
                for elt in node.value.elts
                if isinstance(elt, ast.Constant) and isinstance(elt.value, str)
            )
    return ()


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


class FeatureApiContract(Contract):
    type_name = "feature_api"

    features = fields.ListField(subfield=fields.StringField())
    composition_roots = fields.ListField(subfield=fields.ModuleExpressionField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        roots = {
            module.name
            for module in helpers.module_expressions_to_modules(
                graph=graph,
                expressions=self.composition_roots or [],  # type: ignore[arg-type]
                as_packages=True,
            )
        }
        broken: list[dict[str, Any]] = []
        for feature in self.features:  # type: ignore[attr-defined]
            public = [f"{feature}.{name}" for name in _public_names(feature)]
            members = {feature, *graph.find_descendants(feature)}
            for imported in sorted(members):
                if imported == feature or any(_within(imported, p) for p in public):
                    continue
                for importer in sorted(graph.find_modules_that_directly_import(imported)):
                    if _within(importer, feature) or importer in roots:
                        continue
                    lines = [
                        detail["line_number"]
                        for detail in graph.get_import_details(importer=importer, imported=imported)
                    ]
                    broken.append(
                        {
                            "feature": feature,
                            "importer": importer,
                            "imported": imported,
                            "lines": lines,
                        }
                    )
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            lines = ", ".join(f"l.{n}" for n in item["lines"])
            output.print_error(
                f"{item['importer']} imports {item['imported']} ({lines}), which "
                f"{item['feature']} does not offer: add it to PUBLIC in its __init__.py "
                "or use what it offers",
                bold=False,
            )
            output.new_line()


class NoClockContract(Contract):
    type_name = "no_clock"

    source_modules = fields.ListField(subfield=fields.ModuleExpressionField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        modules = sorted(
            module.name
            for module in helpers.module_expressions_to_modules(
                graph=graph,
                expressions=self.source_modules,  # type: ignore[arg-type]
                as_packages=True,
            )
        )
        broken: list[tuple[str, int, str]] = []
        for name in modules:
            path = _module_file(name)
            if path is None:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                if isinstance(func, ast.Name) and func.id == "utcnow":
                    broken.append((name, node.lineno, "utcnow()"))
                elif isinstance(func, ast.Attribute) and (
                    (func.attr in DATE_CLOCKS and _owner(func.value) in DATE_OWNERS)
                    or (func.attr in TIME_CLOCKS and _owner(func.value) == "time")
                ):
                    broken.append((name, node.lineno, f"{_owner(func.value)}.{func.attr}()"))
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for name, line, call in check.metadata["broken"]:
            output.print_error(
                f"{name} reads the clock with {call} (l.{line}): take `now` as an argument",
                bold=False,
            )
            output.new_line()


def _owner(node: ast.expr) -> str:
    """The last name before the called attribute: `dt.datetime.now` -> "datetime"."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""
