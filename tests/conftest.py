"""Fixtures shared by the whole suite."""

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's top folder (where pyproject.toml is)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_graphs() -> Path:
    """Folder of the real graph files in ``../shared/data/graphs`` (beside the repo, as in CI).

    Missing files are a failure, never a skip: CI always has them, so a test that needs them
    must not pass silently without them.
    """
    path = REPO_ROOT.parent / "shared" / "data" / "graphs"
    if not path.is_dir():
        pytest.fail(
            f"shared graph files not found: expected the folder {path} "
            "(the repo's sibling folder ../shared, present in CI and on developer machines)",
            pytrace=False,
        )
    return path
