"""The shape in ARCHITECTURE.md, checked on the real import graph (.importlinter's contracts).

`make test` runs `lint-imports` too; these tests also show that each never-rule would
catch the import that breaks it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from importlinter import configuration
from importlinter.adapters.building import GraphBuilder
from importlinter.application import use_cases
from importlinter.application.app_config import settings as linter

CONFIG = str(Path(__file__).resolve().parents[1] / ".importlinter")


class WithImport(GraphBuilder):
    """The real graph, plus one import the code does not (yet) have."""

    def __init__(self, importer: str, imported: str) -> None:
        self.extra = (importer, imported)

    def build(self, *args: Any, **kwargs: Any) -> Any:
        graph = super().build(*args, **kwargs)
        importer, imported = self.extra
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="")
        return graph


@pytest.fixture
def linter_configured() -> Iterator[None]:
    configuration.configure()
    yield
    configuration.configure()


def kept(*contracts: str, **graph: str) -> bool:
    """Whether these contracts (all, when none are named) hold; `graph`: one extra import."""
    if graph:
        linter.configure(GRAPH_BUILDER=WithImport(graph["importer"], graph["imported"]))
    return use_cases.lint_imports(
        config_filename=CONFIG, limit_to_contracts=contracts, cache_dir=None, no_logo=True
    )


def test_the_code_keeps_every_contract(linter_configured):
    assert kept()


@pytest.mark.parametrize(
    ("importer", "imported", "contract"),
    [
        ("incidents.views", "actions", "public-never-writes"),
        ("notifier.mirror.render", "actions.incidents", "public-never-writes"),
        ("notifier.channels.email", "actions", "channels-never-change-domain-rows"),
        ("incidents.models.incidents", "incidents.views", "domain-knows-no-screen"),
        ("incidents.models.components", "notifier.models", "domain-knows-no-screen"),
        ("notifier.ledger", "console.roles", "layers"),
        ("actions.incidents", "staffapi.operations", "layers"),
        ("actions.posts", "importers.models", "layers"),
        ("importers.models", "console.views", "layers"),
        ("importers.redirects", "actions.posts", "public-never-writes"),
        ("actions.incidents", "probes.batch", "layers"),
        ("probes.batch", "console.alerts", "layers"),
        ("incidents.views", "probes.tasks", "public-never-writes"),
        ("probes.spec", "probes.batch", "no-cycles"),
        ("notifier.queueing", "notifier.tasks", "no-cycles"),
    ],
)
def test_an_import_that_breaks_a_rule_is_caught(linter_configured, importer, imported, contract):
    assert kept(contract)
    assert not kept(contract, importer=importer, imported=imported)
