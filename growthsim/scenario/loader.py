"""Load scenario TOML files into validated :class:`Scenario` objects."""

import dataclasses
import math
import tomllib
from pathlib import Path

from growthsim.errors import ScenarioError
from growthsim.scenario.schema import Scenario, item_type, spec

_TYPE_NAMES = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def load_scenario(path):
    """Load and validate a scenario file.

    A file may name another with ``extends = "other.toml"`` (relative to
    itself); its tables then override the other's key by key. Unknown keys,
    wrong types and out-of-range values raise :class:`ScenarioError` naming
    the file, the dotted field and what was expected.

    Parameters
    ----------
    path : str or Path
        A TOML scenario file.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        The file is missing, not TOML, or holds an invalid value.

    Examples
    --------
    >>> import growthsim as gs
    >>> sc = gs.load_scenario("scenarios/baseline.toml")
    >>> sc.population.n, sc.content.mix_value
    (1000000, 0.7)
    """
    path = Path(path)
    data = _read_with_extends(path, seen=())
    return _finish(from_dict(data, file=path), path)


def _finish(sc, path):
    return dataclasses.replace(sc, source_file=str(path))


def _read_toml(path):
    if not path.is_file():
        raise ScenarioError("no such scenario file", file=path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read file ({exc})", file=path) from None
    if not text.strip():
        raise ScenarioError("the file is empty; expected TOML tables such as [population]",
                            file=path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}", file=path) from None


def _read_with_extends(path, seen):
    if path.resolve() in seen:
        raise ScenarioError("'extends' forms a cycle", file=path, field="extends")
    data = _read_toml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError("must be a file name (string)", file=path, field="extends")
    base = _read_with_extends(path.parent / parent, seen + (path.resolve(),))
    return _merge(base, data)


def _merge(base, over):
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def from_dict(data, *, file=None, cls=Scenario, prefix=""):
    """Validate a nested dict against a schema section and build it."""
    if not isinstance(data, dict):
        raise ScenarioError(f"must be a table; got {data!r}", file=file, field=prefix or None)
    declared = {name: (tp, meta, default) for name, tp, meta, default in spec(cls)}
    unknown = sorted(set(data) - set(declared))
    if unknown:
        where = f"{prefix}.{unknown[0]}" if prefix else unknown[0]
        allowed = ", ".join(sorted(declared))
        raise ScenarioError(f"unknown key; allowed here: {allowed}", file=file, field=where)
    values = {}
    for name, raw in data.items():
        tp, meta, _ = declared[name]
        key = f"{prefix}.{name}" if prefix else name
        values[name] = _convert(raw, tp, meta, file, key)
    obj = cls(**values)
    _check_section(obj, file, prefix)
    return obj


def _convert(raw, tp, meta, file, key):
    if meta.get("section"):
        return from_dict(raw, file=file, cls=tp, prefix=key)
    elem = item_type(tp)
    if elem is not None:
        if not isinstance(raw, list):
            raise ScenarioError(f"must be a list; got {raw!r}", file=file, field=key)
        lo_n, hi_n = meta.get("min_len"), meta.get("max_len")
        if (lo_n is not None and len(raw) < lo_n) or (hi_n is not None and len(raw) > hi_n):
            want = f"exactly {lo_n}" if lo_n == hi_n else f"{lo_n} to {hi_n}"
            raise ScenarioError(f"must have {want} entries; got {len(raw)}", file=file, field=key)
        if dataclasses.is_dataclass(elem):
            return tuple(from_dict(v, file=file, cls=elem, prefix=f"{key}[{i}]")
                         for i, v in enumerate(raw))
        return tuple(_scalar(v, elem, meta, file, f"{key}[{i}]") for i, v in enumerate(raw))
    return _scalar(raw, tp, meta, file, key)


def _scalar(raw, tp, meta, file, key):
    given = raw
    if tp is bool:
        ok = isinstance(raw, bool)
    elif tp is int:
        ok = isinstance(raw, int) and not isinstance(raw, bool)
    elif tp is float:
        ok = isinstance(raw, (int, float)) and not isinstance(raw, bool)
        if ok:
            raw = float(raw)
            ok = math.isfinite(raw)
    else:
        ok = isinstance(raw, str)
    if not ok:
        raise ScenarioError(f"must be {_describe(tp, meta)}; got {raw!r}", file=file, field=key)
    choices = meta.get("choices")
    if choices and raw not in choices:
        raise ScenarioError(f"must be one of {', '.join(map(repr, choices))}; got {raw!r}",
                            file=file, field=key)
    lo, hi = meta.get("lo"), meta.get("hi")
    if tp in (int, float) and ((lo is not None and raw < lo) or (hi is not None and raw > hi)):
        raise ScenarioError(f"must be {_describe(tp, meta)}; got {given!r}", file=file, field=key)
    return raw


def _describe(tp, meta):
    text = _TYPE_NAMES.get(tp, "a value")
    lo, hi = meta.get("lo"), meta.get("hi")
    if tp in (int, float) and (lo is not None or hi is not None):
        fmt = (lambda v: f"{v:,}") if tp is int else (lambda v: f"{v:g}")
        lo_s = fmt(lo) if lo is not None else "-inf"
        hi_s = fmt(hi) if hi is not None else "inf"
        text += f" in [{lo_s}, {hi_s}]"
    unit = meta.get("unit")
    return f"{text} ({unit})" if unit else text


def _check_section(obj, file, prefix):
    """Cross-field rules: settings that contradict each other."""
    name = type(obj).__name__

    def fail(msg, fld):
        raise ScenarioError(msg, file=file, field=f"{prefix}.{fld}" if prefix else fld)

    if name == "Content":
        total = obj.mix_value + obj.mix_interaction + obj.mix_promo
        if abs(total - 1.0) > 1e-6:
            fail(f"mix_value + mix_interaction + mix_promo must sum to 1; got {total:g}",
                 "mix_value")
    elif name == "Population":
        total = sum(s.share for s in obj.segments)
        if abs(total - 1.0) > 1e-6:
            fail(f"segment shares must sum to 1; got {total:g}", "segments")
        names = [s.name for s in obj.segments]
        if len(set(names)) != len(names):
            fail("segment names must be unique", "segments")
        if obj.graph == "file" and not obj.graph_file:
            fail("graph = 'file' needs population.graph_file", "graph_file")
    elif name == "Rewards":
        th = [lv.threshold for lv in obj.levels]
        if any(b <= a for a, b in zip(th, th[1:])):
            fail(f"level thresholds must increase strictly; got {th}", "levels")
    elif name == "Channels":
        if obj.weight_private + obj.weight_video + obj.weight_notes <= 0:
            fail("at least one channel weight must be positive", "weight_private")
    elif name == "Scenario":
        if obj.seeding.ids and len(set(obj.seeding.ids)) != len(obj.seeding.ids):
            fail("seeding.ids must not repeat a person", "seeding.ids")
        for k, t in enumerate(obj.targets):
            if t.relative_to_year >= t.year:
                fail(f"relative_to_year ({t.relative_to_year}) must be an earlier year than "
                     f"year ({t.year})", f"targets[{k}].relative_to_year")
        if obj.koc.count > obj.population.n:
            fail(f"koc.count ({obj.koc.count:,}) exceeds population.n "
                 f"({obj.population.n:,})", "koc.count")
        if obj.seeding.initial_members > obj.population.n:
            fail(f"seeding.initial_members ({obj.seeding.initial_members:,}) exceeds "
                 f"population.n ({obj.population.n:,})", "seeding.initial_members")


def to_dict(obj):
    """Nested plain dict of a scenario (or section), TOML-ready."""
    out = {}
    for name, tp, meta, _ in spec(type(obj)):
        value = getattr(obj, name)
        if dataclasses.is_dataclass(value):
            out[name] = to_dict(value)
        elif isinstance(value, tuple):
            out[name] = [to_dict(v) if dataclasses.is_dataclass(v) else v for v in value]
        else:
            out[name] = value
    return out


def apply_overrides(scenario, overrides):
    """Return ``scenario`` with dotted keys replaced and the result re-validated.

    Examples
    --------
    >>> from growthsim.scenario import Scenario
    >>> Scenario().with_overrides({"koc.count": 50}).koc.count
    50
    """
    data = to_dict(scenario)
    for dotted, value in dict(overrides).items():
        parts = str(dotted).split(".")
        node = data
        for i, part in enumerate(parts[:-1]):
            if not isinstance(node.get(part), dict):
                raise ScenarioError("unknown key (no such section)", field=".".join(parts[:i + 1]),
                                    file=scenario.source_file or None)
            node = node[part]
        if parts[-1] not in node:
            raise ScenarioError("unknown key", field=dotted, file=scenario.source_file or None)
        if isinstance(value, tuple):
            value = list(value)
        node[parts[-1]] = value
    out = from_dict(data, file=scenario.source_file or None)
    return dataclasses.replace(out, source_file=scenario.source_file, graph=scenario.graph)
