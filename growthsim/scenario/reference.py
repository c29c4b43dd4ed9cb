"""Scenario and metric references (docs/scenarios.md, docs/model.md), generated from the code.

Every parameter's type, range, unit, default and source is declared once, in
:mod:`growthsim.scenario.schema`; every output column's definition once, in
:data:`growthsim.metrics.COLUMNS`. This module renders both as Markdown and
rewrites the generated regions of a document in place, so the docs cannot
drift from the code::

    python -m growthsim.scenario.reference docs/model.md docs/scenarios.md  # rewrite
    python -m growthsim.scenario.reference --check docs/scenarios.md       # exit 1 if stale

A generated region sits between ``<!-- BEGIN GENERATED: name -->`` and
``<!-- END GENERATED: name -->``; the regions are ``calibration``,
``parameters``, ``metrics`` (docs/model.md) and ``scenarios`` (the whole
reference in docs/scenarios.md) (:data:`REGIONS`).
"""

import argparse
import dataclasses
import inspect
import re
import sys
from pathlib import Path

from growthsim.scenario.schema import Scenario, item_type, spec

#: Scenario sections in document order: (dotted prefix, section class).
SECTIONS = (
    ("run", "Run"), ("population", "Population"), ("channels", "Channels"),
    ("content", "Content"), ("sharing", "Sharing"), ("conversion", "Conversion"),
    ("organic", "Organic"), ("ads", "Ads"), ("rewards", "Rewards"), ("koc", "Koc"),
    ("seeding", "Seeding"), ("interventions", "Interventions"), ("churn", "Churn"),
    ("purchases", "Purchases"),
)

_COLUMNS = ("key", "type", "allowed", "unit", "default", "source", "meaning")
_TYPE_NAMES = {int: "int", float: "float", bool: "bool", str: "str"}
_FACT = re.compile(r"\b([RWCE])(\d+)\b")
_FACT_ORDER = "RWCE"  # the order of FACTS.md's tables


# -- walking the schema --------------------------------------------------------------------
def _tables():
    """``(title, prefix, cls)`` for every table, element tables right after their list."""
    out = [("scenario (top level)", "", Scenario)]
    classes = {name: tp for name, tp, meta, _ in spec(Scenario) if meta.get("section")}
    for prefix, _ in SECTIONS:
        cls = classes[prefix]
        out.append((prefix, prefix, cls))
        for name, tp, _, _ in spec(cls):
            elem = item_type(tp)
            if elem is not None and dataclasses.is_dataclass(elem):
                out.append((f"{prefix}.{name}[] element", f"{prefix}.{name}[]", elem))
    for name, tp, _, _ in spec(Scenario):
        elem = item_type(tp)
        if elem is not None and dataclasses.is_dataclass(elem):
            out.append((f"{name}[] element", f"{name}[]", elem))
    return out


def dotted_keys():
    """Every parameter's dotted key, in document order.

    Sections are skipped (their fields are listed); a list of tables contributes
    its own key and its element's fields as ``list[].field``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> keys = dotted_keys()
    >>> "content.mix_promo" in keys, "rewards.levels[].threshold" in keys
    (True, True)
    >>> keys[:3]
    ['name', 'description', 'events']
    """
    keys = []
    for _, prefix, cls in _tables():
        for name, _, meta, _ in spec(cls):
            if not meta.get("section"):
                keys.append(_join(prefix, name))
    return keys


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else name


# -- formatting one cell -------------------------------------------------------------------
def _num(v, tp=float):
    if isinstance(v, bool):
        return "true" if v else "false"
    if tp is int or isinstance(v, int):
        return f"{int(v):,}"
    return f"{v:g}"


def _value(v):
    """A default as it would be written in a scenario file (TOML spelling)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, (int, float)):
        return _num(v)
    if isinstance(v, tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return str(v)


def _type(tp):
    elem = item_type(tp)
    if elem is None:
        return _TYPE_NAMES.get(tp, getattr(tp, "__name__", str(tp)))
    if dataclasses.is_dataclass(elem):
        return "list of tables"
    return f"list of {_TYPE_NAMES.get(elem, elem.__name__)}"


def _range(tp, meta):
    elem = item_type(tp)
    base = elem if elem is not None else tp
    if meta.get("choices"):
        text = ", ".join(f'"{c}"' for c in meta["choices"])
    elif base is bool:
        text = "true, false"
    elif base in (int, float):
        lo, hi = meta.get("lo"), meta.get("hi")
        lo_s = _num(lo, base) if lo is not None else "−∞"
        hi_s = _num(hi, base) if hi is not None else "∞"
        text = f"[{lo_s}, {hi_s}]"
    elif base is str:
        text = "any text"
    else:
        text = ""
    if elem is None:
        return text
    lo_n, hi_n = meta.get("min_len"), meta.get("max_len")
    if lo_n == hi_n and lo_n is not None:
        count = f"exactly {lo_n:,}"
    else:
        count = f"{lo_n or 0:,} to {hi_n:,}" if hi_n is not None else f"at least {lo_n or 0:,}"
    if dataclasses.is_dataclass(elem):
        return f"{count} tables"
    return f"{count} values, each {text}" if text else f"{count} values"


def _default(tp, default, key):
    elem = item_type(tp)
    if elem is not None and dataclasses.is_dataclass(elem):
        if not default:
            return "[] (none)"
        return f"{len(default)} rows (see *default {key}*)"
    return f"`{_value(default)}`"


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ").strip() or "—"


def _row(cells):
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _table(header, rows):
    lines = [_row(header), "|" + "|".join("---" for _ in header) + "|"]
    lines += [_row(r) for r in rows]
    return "\n".join(lines)


def _section_table(prefix, cls):
    rows = []
    for name, tp, meta, default in spec(cls):
        if meta.get("section"):
            continue
        key = _join(prefix, name)
        rows.append((f"`{key}`", _type(tp), _range(tp, meta), meta.get("unit", ""),
                     _default(tp, default, key), meta.get("source", ""), meta.get("help", "")))
    return _table(_COLUMNS, rows)


def _defaults_table(elem, default):
    names = [name for name, _, _, _ in spec(elem)]
    rows = [[_value(getattr(item, name)) for name in names] for item in default]
    return _table(names, rows)


# -- public renderers ----------------------------------------------------------------------
def parameter_tables():
    """Markdown tables of every scenario parameter, one table per section.

    Columns: key (dotted, as in ``Scenario.with_overrides``), type, allowed range
    or choices, unit, default (TOML spelling), source of the default and
    meaning. A list of tables (``population.segments``, ``rewards.levels``,
    ``events``) gets an element table (keys ``list[].field``) and, when its
    default is not empty, a compact table of the default rows. Generated only
    from :func:`growthsim.scenario.schema.spec`.

    Returns
    -------
    str
        Markdown, starting with a level-4 heading per table.

    See Also
    --------
    update_generated : writes this into a document's ``parameters`` region.

    Examples
    --------
    >>> md = parameter_tables()
    >>> print(md.splitlines()[0])
    #### scenario (top level)
    >>> row = next(r for r in md.splitlines() if r.startswith("| `content.mix_promo` |"))
    >>> row.split(" | ")[1:6]
    ['float', '[0, 1]', 'fraction', '`0.1`', 'C1']
    """
    lists = {}
    for _, prefix, cls in _tables():
        for name, tp, _, default in spec(cls):
            elem = item_type(tp)
            if elem is not None and dataclasses.is_dataclass(elem) and default:
                lists[_join(prefix, name) + "[]"] = (elem, default)
    parts = []
    for title, prefix, cls in _tables():
        parts.append(f"#### {title}\n\n{_section_table(prefix, cls)}")
        if prefix in lists:
            elem, default = lists[prefix]
            parts.append(f"#### default {prefix[:-2]}\n\n{_defaults_table(elem, default)}")
    return "\n\n".join(parts) + "\n"


def calibration_table():
    """Markdown table: which parameter defaults rest on which FACTS.md ids.

    Fact ids (``R2``, ``W1``, ``C3``, ...) are read from each field's ``source``
    metadata and listed in FACTS.md order; a second table lists the defaults
    that cite something else (a paper, a convention); a closing line counts the
    parameters whose schema entry names no source.

    Returns
    -------
    str

    Examples
    --------
    >>> md = calibration_table()
    >>> row = next(r for r in md.splitlines() if r.startswith("| C1 |"))
    >>> print(row.replace("; ", "\\n"))
    | C1 | `content.mix_value` = 0.7
    `content.mix_interaction` = 0.2
    `content.mix_promo` = 0.1 |
    """
    by_fact, other, unsourced = {}, [], 0
    for _, prefix, cls in _tables():
        for name, tp, meta, default in spec(cls):
            if meta.get("section"):
                continue
            key = _join(prefix, name)
            source = meta.get("source", "")
            elem = item_type(tp)
            shown = (f"`{key}`" if elem is not None and dataclasses.is_dataclass(elem)
                     else f"`{key}` = {_value(default)}")
            ids = sorted({m.group(0) for m in _FACT.finditer(source)},
                         key=lambda s: (_FACT_ORDER.index(s[0]), int(s[1:])))
            for fact in ids:
                by_fact.setdefault(fact, []).append(shown)
            if not ids and source and source != "modelling choice":
                other.append((shown, source))
            if not source:
                unsourced += 1
    facts = sorted(by_fact, key=lambda s: (_FACT_ORDER.index(s[0]), int(s[1:])))
    parts = [_table(("fact", "parameter defaults citing it"),
                    [(f, "; ".join(by_fact[f])) for f in facts])]
    if other:
        parts.append(_table(("parameter", "source of the default"), other))
    parts.append(f"{unsourced} of {len(dotted_keys())} parameters name no source in the "
                 "schema: their defaults are modelling choices without a stated basis.")
    return "\n\n".join(parts) + "\n"


def metrics_table():
    """Markdown table of every column of ``GrowthModel.metrics``.

    Columns: name, kind (``flow``: counted by the day's steps; ``census``: the
    end-of-day census over the member list; ``derived``: computed from the
    others by :func:`growthsim.metrics.derived`) and the definition from
    :data:`growthsim.metrics.COLUMNS`. Numbered families such as
    ``tier_0`` ... ``tier_20`` share one row that names every column.

    Returns
    -------
    str

    Examples
    --------
    >>> md = metrics_table()
    >>> [line for line in md.splitlines() if line.startswith("| `dau_mau`")]
    ['| `dau_mau` | derived | dau / mau. |']
    """
    from growthsim.metrics import COLUMNS, FLOW_NAMES
    from growthsim.kernels.census import CENSUS_NAMES

    def kind(name):
        return "flow" if name in FLOW_NAMES else "census" if name in CENSUS_NAMES else "derived"

    rows, families = [], {}
    for name, text in COLUMNS.items():
        m = re.fullmatch(r"(.+)_(\d+)", name)
        if m and m.group(2) in text:
            stem = m.group(1)
            generic = text.replace(m.group(2), "t")
            fam = families.get((stem, generic))
            if fam is None:
                fam = families[(stem, generic)] = [[], kind(name), generic]
                rows.append(fam)
            fam[0].append(f"`{name}`")
        else:
            rows.append([[f"`{name}`"], kind(name), text])
    return _table(("column", "kind", "definition"),
                  [(", ".join(names), k, text) for names, k, text in rows]) + "\n"


def _section_intro(cls):
    """The first paragraph of a section class's own docstring ('' for dataclass's default)."""
    doc = cls.__dict__.get("__doc__") or ""
    if not doc.strip() or doc.startswith(cls.__name__ + "("):
        return ""  # dataclass writes its signature when the class has no docstring
    return " ".join(inspect.cleandoc(doc).split("\n\n")[0].split())


def _anchor(title):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^a-z0-9 _-]", "", title.lower()).replace(" ", "-")


def scenario_reference():
    """Markdown reference of every scenario section and field, for docs/scenarios.md.

    One heading per section (``[run]``, ``[population]``, ...; element tables of
    a list such as ``[[rewards.levels]]`` right after their list), the section's
    purpose from its class docstring in :mod:`growthsim.scenario.schema`, and one
    row per field: dotted key, type, allowed range or choices, unit, default,
    source (FACTS.md ids such as ``C1``, a paper or "modelling choice") and
    meaning. It closes with the FACTS.md ids and the defaults that cite them
    (:func:`calibration_table`). Nothing here is written by hand.

    Returns
    -------
    str

    See Also
    --------
    parameter_tables : the same field rows, as embedded in docs/model.md.

    Examples
    --------
    >>> md = scenario_reference()
    >>> print(md.splitlines()[0])
    ## Sections
    >>> print(next(r for r in md.splitlines() if r.startswith("| `run.days` |")))
    | `run.days` | int | [1, 36,500] | days | `1,826` | 5 years of 365.25 days | Simulated horizon; one tick is one day. |
    """
    tables = _tables()
    lists = {}
    for _, prefix, cls in tables:
        for name, tp, _, default in spec(cls):
            elem = item_type(tp)
            if elem is not None and dataclasses.is_dataclass(elem) and default:
                lists[_join(prefix, name) + "[]"] = (elem, default)
    parts = ["## Sections"]
    toc, blocks = [], []
    for title, prefix, cls in tables:
        head = (f"`[[{prefix[:-2]}]]`" if prefix.endswith("[]") else f"`[{prefix}]`" if prefix
                else "Top level")
        n = sum(1 for _, _, meta, _ in spec(cls) if not meta.get("section"))
        toc.append(f"- [{head}](#{_anchor(head)}): {n} field{'s' * (n != 1)}")
        block = [f"## {head}"]
        intro = _section_intro(cls)
        if intro:
            block.append(intro)
        block.append(_section_table(prefix, cls))
        if prefix in lists:
            elem, default = lists[prefix]
            block.append(f"Default `{prefix[:-2]}`:\n\n{_defaults_table(elem, default)}")
        blocks.append("\n\n".join(block))
    parts = ["## Sections\n\n" + "\n".join(toc)] + blocks
    parts.append("## Facts behind the defaults\n\n" + calibration_table().rstrip("\n"))
    return "\n\n".join(parts) + "\n"


#: Generated regions of a document and their renderers.
REGIONS = {"calibration": calibration_table, "parameters": parameter_tables,
           "metrics": metrics_table, "scenarios": scenario_reference}


def _markers(name):
    return f"<!-- BEGIN GENERATED: {name} -->", f"<!-- END GENERATED: {name} -->"


def generated_region(text, name):
    """The current content of region ``name`` in ``text`` (without the markers).

    Raises
    ------
    ValueError
        The markers are missing, repeated or out of order.

    Examples
    --------
    >>> generated_region("a\\n<!-- BEGIN GENERATED: metrics -->\\nX\\n"
    ...                  "<!-- END GENERATED: metrics -->\\nb", "metrics")
    'X\\n'
    """
    begin, end = _markers(name)
    if text.count(begin) != 1 or text.count(end) != 1:
        raise ValueError(f"need exactly one {begin!r} and one {end!r}")
    a = text.index(begin) + len(begin)
    b = text.index(end)
    if b < a:
        raise ValueError(f"{end!r} comes before {begin!r}")
    return text[a:b].lstrip("\n")


def update_generated(text, regions=None):
    """Return ``text`` with each generated region replaced by a fresh rendering.

    Parameters
    ----------
    text : str
        A document holding marker pairs ``<!-- BEGIN GENERATED: name -->`` /
        ``<!-- END GENERATED: name -->``.
    regions : iterable of str, optional
        Region names to refresh; default: every name in :data:`REGIONS` whose
        markers the text holds.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        A requested region's markers are missing, repeated or out of order.

    Examples
    --------
    >>> doc = ("# Outputs\\n<!-- BEGIN GENERATED: metrics -->\\nstale\\n"
    ...        "<!-- END GENERATED: metrics -->\\n")
    >>> new = update_generated(doc)
    >>> "stale" in new, "| `k_factor` |" in new
    (False, True)
    >>> update_generated(new) == new
    True
    """
    if regions is None:
        regions = [name for name in REGIONS if _markers(name)[0] in text]
    for name in regions:
        generated_region(text, name)  # validates the markers
        begin, end = _markers(name)
        a = text.index(begin) + len(begin)
        b = text.index(end)
        text = text[:a] + "\n" + REGIONS[name]() + text[b:]
    return text


def main(argv=None):
    """Rewrite (or with ``--check`` verify) the generated regions of Markdown files.

    Parameters
    ----------
    argv : list of str, optional
        ``[--check] PATH [PATH ...]``; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 when every file is (now) current; 1 with ``--check`` when one is stale;
        2 when a file's markers are broken.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.md"
    >>> _ = path.write_text("<!-- BEGIN GENERATED: parameters -->\\n"
    ...                     "<!-- END GENERATED: parameters -->\\n")
    >>> main(["--check", str(path)])
    1
    >>> main([str(path)])
    0
    >>> main(["--check", str(path)])
    0
    """
    ap = argparse.ArgumentParser(prog="python -m growthsim.scenario.reference",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("paths", type=Path, nargs="+", metavar="path",
                    help="Markdown file with GENERATED markers (docs/model.md, docs/scenarios.md)")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if the generated regions are stale")
    args = ap.parse_args(argv)
    status = 0
    for path in args.paths:
        old = path.read_text(encoding="utf-8")
        try:
            new = update_generated(old)
        except ValueError as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return 2
        if new == old:
            continue
        if args.check:
            print(f"{path}: generated regions are stale; run "
                  f"python -m growthsim.scenario.reference {path}", file=sys.stderr)
            status = 1
            continue
        path.write_text(new, encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
