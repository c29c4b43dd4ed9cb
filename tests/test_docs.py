"""The docs cannot drift from the code: generated scenario reference, runnable examples, docstrings."""

import dataclasses
import types
from pathlib import Path

import pytest

from growthsim.scenario import reference, schema
from growthsim.scenario.schema import Scenario, item_type, spec

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCS = REPO_ROOT / "docs"
SCENARIOS_MD = DOCS / "scenarios.md"
FIX = "run: python -m growthsim.scenario.reference docs/model.md docs/scenarios.md"


# -- docs/scenarios.md: the scenario reference generated from the schema -----------------------
def _schema_fields(cls=Scenario, prefix=""):
    """(dotted key, metadata) of every declared field, walked independently of the generator."""
    for name, tp, meta, _ in spec(cls):
        key = f"{prefix}.{name}" if prefix else name
        if meta.get("section"):
            yield from _schema_fields(tp, key)
            continue
        yield key, meta
        elem = item_type(tp)
        if elem is not None and dataclasses.is_dataclass(elem):
            yield from _schema_fields(elem, f"{key}[]")


@pytest.fixture(scope="module")
def scenarios_md():
    return SCENARIOS_MD.read_text(encoding="utf-8")


def test_scenario_reference_is_regenerated_exactly(scenarios_md):
    assert reference.update_generated(scenarios_md) == scenarios_md, \
        f"docs/scenarios.md is stale; {FIX}"
    assert reference.generated_region(scenarios_md, "scenarios") == reference.scenario_reference()


def test_every_field_has_one_row_with_its_declaration(scenarios_md):
    table = reference.generated_region(scenarios_md, "scenarios")
    keys = list(_schema_fields())
    assert len(keys) > 150
    for key, meta in keys:
        rows = [r for r in table.splitlines() if r.startswith(f"| `{key}` |")]
        assert len(rows) == 1, f"{key}: {len(rows)} rows in docs/scenarios.md; {FIX}"
        cells = rows[0].strip("| ").split(" | ")
        assert len(cells) == 7, rows[0]
        for item in (meta.get("help"), meta.get("unit"), meta.get("source")):
            if item:
                assert " ".join(item.split()).replace("|", "\\|") in rows[0], (key, item)
        for choice in meta.get("choices") or ():
            assert f'"{choice}"' in cells[2], (key, choice)


def test_every_section_has_a_heading_and_purpose(scenarios_md):
    table = reference.generated_region(scenarios_md, "scenarios")
    for prefix, _ in reference.SECTIONS:
        assert f"\n## `[{prefix}]`\n" in table, prefix
    # the purpose sentence comes from the section's class docstring
    assert schema.Churn.__doc__.split(".")[0].split()[-1] in table


@pytest.mark.parametrize("what", ["help", "unit", "source"])
def test_a_changed_field_declaration_makes_the_page_stale(scenarios_md, monkeypatch, what):
    """Perturbation: the check above would catch a schema edit not carried into the page."""
    real_spec = reference.spec

    def edited_spec(cls):
        for name, tp, meta, default in real_spec(cls):
            if cls is schema.Content and name == "mix_promo":
                meta = types.MappingProxyType({**meta, what: "edited"})
            yield name, tp, meta, default

    monkeypatch.setattr(reference, "spec", edited_spec)
    assert reference.update_generated(scenarios_md) != scenarios_md


def test_a_new_section_docstring_makes_the_page_stale(scenarios_md, monkeypatch):
    monkeypatch.setattr(schema.Sharing, "__doc__", "Edited purpose.\n")
    assert "Edited purpose." in reference.scenario_reference()
    assert reference.update_generated(scenarios_md) != scenarios_md


def test_cli_checks_both_generated_pages(tmp_path):
    assert reference.main(["--check", str(SCENARIOS_MD), str(DOCS / "model.md")]) == 0
    stale = tmp_path / "scenarios.md"
    stale.write_text(SCENARIOS_MD.read_text(encoding="utf-8").replace("Simulated horizon",
                                                                      "Horizon"))
    assert reference.main(["--check", str(SCENARIOS_MD), str(stale)]) == 1
    assert reference.main([str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == SCENARIOS_MD.read_text(encoding="utf-8")
