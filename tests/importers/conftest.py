from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parents[1] / "fixtures"
EXAMPLE = FIXTURES / "statuspage" / "import-example"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the Statuspage example a test may change."""
    copy = tmp_path / "page"
    shutil.copytree(EXAMPLE, copy)
    return copy
