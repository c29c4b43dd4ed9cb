"""docs/model.md cannot drift from the code: generated tables, keys, kernels, state, metrics."""

import dataclasses
import re
from pathlib import Path

import pytest

from growthsim import metrics
from growthsim.kernels import layout
from growthsim.scenario import reference
from growthsim.scenario.schema import Scenario, item_type, spec

REPO_ROOT = Path(__file__).resolve().parents[1]
DOC = REPO_ROOT / "docs" / "model.md"
KERNELS = REPO_ROOT / "growthsim" / "kernels"
STEP_KERNELS = ("content", "activity", "sharing", "conversion", "acquisition", "rewards",
                "interventions", "churn", "purchases", "events")
FIX = "run: python -m growthsim.scenario.reference docs/model.md"


@pytest.fixture(scope="module")
def doc():
    return DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def headings(doc):
    return [line for line in doc.splitlines() if line.startswith("#")]


def _schema_keys(cls=Scenario, prefix=""):
    """Every declared key, walked independently of the module under test."""
    for name, tp, meta, _ in spec(cls):
        key = f"{prefix}.{name}" if prefix else name
        if meta.get("section"):
            yield from _schema_keys(tp, key)
            continue
        yield key
        elem = item_type(tp)
        if elem is not None and dataclasses.is_dataclass(elem):
            yield from _schema_keys(elem, f"{key}[]")


# (a) generated regions are current -------------------------------------------------------
@pytest.mark.parametrize("region, render", [
    ("parameters", reference.parameter_tables),
    ("metrics", reference.metrics_table),
    ("calibration", reference.calibration_table),
])
def test_generated_region_is_current(doc, region, render):
    assert reference.generated_region(doc, region) == render(), \
        f"docs/model.md: the generated {region} region is stale; {FIX}"


def test_update_is_a_no_op(doc):
    assert reference.update_generated(doc) == doc, f"docs/model.md is stale; {FIX}"


# (b) every parameter is documented ---------------------------------------------------------
def test_schema_walk_matches_reference():
    assert list(_schema_keys()) != []
    assert set(_schema_keys()) == set(reference.dotted_keys())


@pytest.mark.parametrize("key", list(_schema_keys()))
def test_every_parameter_appears(doc, key):
    assert f"`{key}`" in doc, f"schema key {key!r} is missing from docs/model.md; {FIX}"


def test_every_parameter_row_has_unit_default_and_source_columns(doc):
    table = reference.generated_region(doc, "parameters")
    header = "| key | type | allowed | unit | default | source | meaning |"
    assert table.count(header) >= len(reference.SECTIONS)
    for key in _schema_keys():
        rows = [r for r in table.splitlines() if r.startswith(f"| `{key}` |")]
        assert len(rows) == 1, f"{key}: expected one parameter row, found {len(rows)}"
        assert rows[0].count(" | ") == 6, rows[0]


# (c) every kernel has a section ------------------------------------------------------------
def test_step_kernels_exist():
    missing = [k for k in STEP_KERNELS if not (KERNELS / f"{k}.py").is_file()]
    assert not missing, f"kernel modules named in the daily steps are missing: {missing}"


@pytest.mark.parametrize("module", sorted(p.stem for p in KERNELS.glob("*.py")
                                          if p.stem != "__init__"))
def test_every_kernel_module_has_a_section(headings, module):
    named = [h for h in headings if f"kernels/{module}.py" in h]
    assert named, f"docs/model.md has no heading naming kernels/{module}.py"


def test_steps_are_documented_in_order(headings):
    steps = [h for h in headings if re.match(r"### Step \d+ ", h)]
    found = [re.search(r"kernels/(\w+)\.py", h).group(1) for h in steps]
    assert found == list(STEP_KERNELS)
    numbers = [int(re.match(r"### Step (\d+) ", h).group(1)) for h in steps]
    assert numbers == list(range(1, len(STEP_KERNELS) + 1))


# (d) every output and every state column is defined -----------------------------------------
@pytest.mark.parametrize("column", list(metrics.COLUMNS))
def test_every_metric_column_appears(doc, column):
    assert f"`{column}`" in doc, f"metric {column!r} is missing from docs/model.md; {FIX}"


@pytest.mark.parametrize("column", layout.I_NAMES + layout.F_NAMES)
def test_every_state_column_appears(doc, column):
    assert f"`{column}`" in doc, f"state column {column!r} (kernels/layout.py) is not " \
                                 "explained in docs/model.md"


# the generator itself ------------------------------------------------------------------------
def test_update_generated_rejects_broken_markers():
    with pytest.raises(ValueError):
        reference.update_generated("<!-- END GENERATED: metrics -->\n"
                                   "<!-- BEGIN GENERATED: metrics -->\n", ["metrics"])
    with pytest.raises(ValueError):
        reference.update_generated("no markers", ["parameters"])


def test_main_check_and_rewrite(tmp_path):
    path = tmp_path / "m.md"
    path.write_text("intro\n<!-- BEGIN GENERATED: metrics -->\nold\n"
                    "<!-- END GENERATED: metrics -->\noutro\n", encoding="utf-8")
    assert reference.main(["--check", str(path)]) == 1
    assert "old" in path.read_text(encoding="utf-8")
    assert reference.main([str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith("intro\n") and text.endswith("outro\n") and "old" not in text
    assert reference.main(["--check", str(path)]) == 0
