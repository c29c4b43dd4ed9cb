"""Load scenario TOML files into validated :class:`Scenario` objects."""

import dataclasses
import difflib
import math
import re
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
    the file the value came from, the dotted field and what was expected.

    Parameters
    ----------
    path : str or Path
        A TOML scenario file (UTF-8, a byte-order mark is allowed).

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
    data, origins = _read_with_extends(path, chain=())
    try:
        sc = _finish(from_dict(data, file=path), path)
        _check_graph_file(sc)
    except ScenarioError as exc:
        raise _blame(exc, origins, path) from None
    return sc


def _finish(sc, path):
    return dataclasses.replace(sc, source_file=str(path))


def _blame(exc, origins, path):
    """The error re-addressed to the file its value came from (a base file via extends)."""
    key = re.sub(r"\[\d+\]", "", exc.field or "")
    while key and key not in origins:
        key = key.rpartition(".")[0]
    origin = origins.get(key, path)
    if not exc.field or origin == path:
        return exc
    return ScenarioError(f"{exc.message} (inherited by {path.name} via extends)",
                         file=origin, field=exc.field)


def _read_toml(path):
    if path.is_dir():
        raise ScenarioError("is a directory; expected a scenario file (.toml)", file=path)
    if not path.is_file():
        raise ScenarioError("no such scenario file", file=path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"cannot read file ({exc.strerror or exc})", file=path) from None
    text = _decode(raw, path)
    if not text.strip():
        raise ScenarioError("the file is empty; expected TOML tables such as [population]",
                            file=path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(_toml_problem(exc, path), file=path) from None


def _decode(raw, path):
    """The file's text; a clear message for UTF-16, binary and non-UTF-8 files."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ScenarioError("is UTF-16 text; save it as UTF-8", file=path)
    if raw[:3] == b"\xef\xbb\xbf":  # Notepad's UTF-8 byte-order mark
        raw = raw[3:]
    if b"\x00" in raw[:4096]:
        raise ScenarioError("is a binary file, not TOML text (or UTF-16 without a byte-order "
                            "mark; save it as UTF-8)", file=path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ScenarioError(f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); "
                            "save it as UTF-8", file=path) from None


def _toml_problem(exc, path):
    text = str(exc)
    m = re.fullmatch(r"(.*) \(at (line \d+, column \d+|end of document)\)", text, re.S)
    where, what = (m.group(2), m.group(1)) if m else (None, text)
    msg = f"not valid TOML at {where}: {what}" if where else f"not valid TOML: {what}"
    if path.suffix.lower() != ".toml":
        msg += " (a scenario is a .toml file)"
    return msg


def _read_with_extends(path, chain):
    """The file's tables merged over those it extends, and the file each dotted key came from."""
    data = _read_toml(path)
    origins = dict.fromkeys(_dotted_keys(data), path)
    parent = data.pop("extends", None)
    if parent is None:
        return data, origins
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(f"must be the name of another scenario file; got {_show(parent)}",
                            file=path, field="extends")
    base_path = path.parent / parent
    if not base_path.is_file():
        what = "is a directory" if base_path.is_dir() else "does not exist"
        raise ScenarioError(f"the base scenario {parent!r} {what} (looked for {base_path})",
                            file=path, field="extends")
    chain = chain + (path,)
    if base_path.resolve() in {p.resolve() for p in chain}:
        loop = " -> ".join(p.name for p in chain + (base_path,))
        raise ScenarioError(f"'extends' forms a cycle: {loop}", file=path, field="extends")
    base, base_origins = _read_with_extends(base_path, chain)
    return _merge(base, data), {**base_origins, **origins}


def _dotted_keys(data, prefix=""):
    for key, value in data.items():
        dotted = f"{prefix}.{key}" if prefix else key
        yield dotted
        if isinstance(value, dict):
            yield from _dotted_keys(value, dotted)


def _merge(base, over):
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


# Edge lists already read without a problem: (resolved path, size, mtime). Variants of one
# scenario (with_overrides) then do not parse the same file again.
_GOOD_GRAPH_FILES = set()


def _check_graph_file(sc):
    """The edge list a scenario names must exist and be readable, so that a bad one stops a
    command before anything runs (the model reads it again to build the graph)."""
    if sc.population.graph != "file":
        return
    from growthsim.build import graph_file_path, read_graph_file

    target = graph_file_path(sc)
    if not target.is_file():
        what = "is a directory, not an edge-list file" if target.is_dir() else "does not exist"
        raise ScenarioError(f"the edge list {sc.population.graph_file!r} {what} (looked for "
                            f"{target})", file=sc.source_file or None,
                            field="population.graph_file")
    st = target.stat()
    key = (str(target.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _GOOD_GRAPH_FILES:
        read_graph_file(sc)
        _GOOD_GRAPH_FILES.add(key)


def _suggest(word, options):
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return close[0] if close else None


def _show(value, limit=60):
    """A found value as the user wrote it (TOML spelling), shortened."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        text = "a table " + repr(value)
    elif isinstance(value, list):
        text = "a list " + repr(value)
    else:
        text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def from_dict(data, *, file=None, cls=Scenario, prefix=""):
    """Validate a nested dict against a schema section and build it.

    Examples
    --------
    >>> sc = from_dict({"name": "demo", "population": {"n": 5_000}})
    >>> sc.name, sc.population.n, sc.population.graph
    ('demo', 5000, 'circles')
    >>> from_dict({"population": {"n": 1}})
    Traceback (most recent call last):
    ...
    growthsim.errors.ScenarioError: population.n: must be ...
    """
    if not isinstance(data, dict):
        raise ScenarioError(f"must be a table; got {_show(data)}", file=file,
                            field=prefix or None)
    declared = {name: (tp, meta, default) for name, tp, meta, default in spec(cls)}
    unknown = sorted(set(data) - set(declared))
    if unknown:
        raise _unknown_key(unknown, data, declared, file, prefix)
    values = {}
    for name, raw in data.items():
        tp, meta, _ = declared[name]
        key = f"{prefix}.{name}" if prefix else name
        values[name] = _convert(raw, tp, meta, file, key)
    obj = cls(**values)
    _check_section(obj, file, prefix)
    return obj


def _unknown_key(unknown, data, declared, file, prefix):
    name = unknown[0]
    field = f"{prefix}.{name}" if prefix else name
    what = f"unknown key (a table [{field}])" if isinstance(data[name], dict) else "unknown key"
    more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
    known = list(declared)
    guess = _suggest(name, known)
    # A key written outside its table (``days = 30`` above any [run]) is a key of a section.
    home = [k for k, (tp, meta, _) in declared.items()
            if meta.get("section") and name in {f for f, *_ in spec(tp)}]
    if home:
        where = " or ".join(f"[{prefix + '.' if prefix else ''}{h}]" for h in home)
        hint = f"{name!r} belongs under {where}"
    elif guess:
        hint = f"did you mean {guess!r}?"
    else:
        hint = "allowed here: " + ", ".join(sorted(known))
    return ScenarioError(f"{what}{more}; {hint}", file=file, field=field)


def _convert(raw, tp, meta, file, key):
    if meta.get("section"):
        return from_dict(raw, file=file, cls=tp, prefix=key)
    elem = item_type(tp)
    if elem is not None:
        if not isinstance(raw, list):
            want = (f"a list of tables (write [[{key}]] blocks)" if dataclasses.is_dataclass(elem)
                    else f"a list (each {_describe(elem, meta)})")
            raise ScenarioError(f"must be {want}; got {_show(raw)}", file=file, field=key)
        lo_n, hi_n = meta.get("min_len"), meta.get("max_len")
        if (lo_n is not None and len(raw) < lo_n) or (hi_n is not None and len(raw) > hi_n):
            want = f"exactly {lo_n}" if lo_n == hi_n else f"{lo_n} to {hi_n}"
            unit = f" ({meta['unit']})" if meta.get("unit") else ""
            raise ScenarioError(f"must have {want} entries{unit}; got {len(raw)}", file=file,
                                field=key)
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
        hint = ""
        if tp is int and isinstance(raw, float) and raw.is_integer():
            hint = " (write it without a decimal point)"
        raise ScenarioError(f"must be {_describe(tp, meta)}; got {_show(raw)}{hint}", file=file,
                            field=key)
    choices = meta.get("choices")
    if choices and raw not in choices:
        guess = _suggest(raw, choices)
        hint = f" (did you mean {guess!r}?)" if guess else ""
        raise ScenarioError(f"must be one of {', '.join(map(repr, choices))}; got {_show(raw)}"
                            f"{hint}", file=file, field=key)
    lo, hi = meta.get("lo"), meta.get("hi")
    if tp in (int, float) and ((lo is not None and raw < lo) or (hi is not None and raw > hi)):
        raise ScenarioError(f"must be {_describe(tp, meta)}; got {_show(given)}", file=file,
                            field=key)
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
    rules = _RULES.get(type(obj).__name__)
    for msg, fld in rules(obj) if rules else ():
        raise ScenarioError(msg, file=file, field=f"{prefix}.{fld}" if prefix else fld)


def _content_rules(c):
    total = c.mix_value + c.mix_interaction + c.mix_promo
    if abs(total - 1.0) > 1e-6:
        yield f"mix_value + mix_interaction + mix_promo must sum to 1; got {total:g}", "mix_value"


def _population_rules(p):
    total = sum(s.share for s in p.segments)
    if abs(total - 1.0) > 1e-6:
        yield f"segment shares must sum to 1; got {total:g}", "segments"
    names = [s.name for s in p.segments]
    if len(set(names)) != len(names):
        yield "segment names must be unique", "segments"
    if p.graph == "file" and not p.graph_file:
        yield "graph = 'file' needs population.graph_file", "graph_file"
    if p.graph != "file" and p.graph_file:
        # Otherwise the edge list would be ignored without a word.
        yield (f"an edge list is named but graph = {p.graph!r}; set graph = 'file' to read it "
               "or remove graph_file"), "graph_file"
    if p.graph == "circles" and p.n_groups > p.n:
        yield f"n_groups ({p.n_groups:,}) exceeds n ({p.n:,}): a circle needs a person", \
            "n_groups"


def _rewards_rules(r):
    th = [lv.threshold for lv in r.levels]
    if any(b <= a for a, b in zip(th, th[1:])):
        yield f"level thresholds must increase strictly; got {th}", "levels"


def _channels_rules(c):
    if c.weight_private + c.weight_video + c.weight_notes <= 0:
        yield "at least one channel weight must be positive", "weight_private"


# Fields only one kind of event reads (growthsim.model): set on the other kind they would be
# ignored without a word.
_EVENT_ONLY = {"campaign": ("content_mult", "share_mult", "conversion_mult"),
               "crisis": ("trust_shock", "nwom_mult", "handled_openly", "mitigation")}


def _event_rules(ev):
    defaults = {name: default for name, _, _, default in spec(type(ev))}
    for kind, names in _EVENT_ONLY.items():
        for name in names:
            if kind != ev.kind and getattr(ev, name) != defaults[name]:
                yield (f"only a {kind} uses {name}; this event is a {ev.kind} "
                       f"(got {_show(getattr(ev, name))})"), name


def _scenario_rules(sc):
    ids = sc.seeding.ids
    if ids and len(set(ids)) != len(ids):
        yield "seeding.ids must not repeat a person", "seeding.ids"
    if ids and sc.population.graph != "file" and max(ids) >= sc.population.n:
        yield (f"person {max(ids):,} does not exist: ids run from 0 to population.n - 1 "
               f"({sc.population.n - 1:,})"), "seeding.ids"
    for k, t in enumerate(sc.targets):
        if t.relative_to_year >= t.year:
            yield (f"relative_to_year ({t.relative_to_year}) must be an earlier year than "
                   f"year ({t.year})"), f"targets[{k}].relative_to_year"
    if sc.koc.count > sc.population.n:
        yield f"koc.count ({sc.koc.count:,}) exceeds population.n ({sc.population.n:,})", \
            "koc.count"
    if sc.seeding.initial_members > sc.population.n:
        yield (f"seeding.initial_members ({sc.seeding.initial_members:,}) exceeds "
               f"population.n ({sc.population.n:,})"), "seeding.initial_members"


_RULES = {"Content": _content_rules, "Population": _population_rules,
          "Rewards": _rewards_rules, "Channels": _channels_rules, "Event": _event_rules,
          "Scenario": _scenario_rules}


def to_dict(obj):
    """Nested plain dict of a scenario (or section), TOML-ready.

    Examples
    --------
    >>> d = to_dict(Scenario())
    >>> d["population"]["n"], d["rewards"]["levels"][0]["kind"]
    (1000000, 'coupon')
    >>> from_dict(d) == Scenario()
    True
    """
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
    file = scenario.source_file or None
    data = to_dict(scenario)
    for dotted, value in dict(overrides).items():
        node = _override_slot(data, str(dotted), file)
        node[str(dotted).rpartition(".")[2]] = list(value) if isinstance(value, tuple) else value
    out = from_dict(data, file=file)
    out = dataclasses.replace(out, source_file=scenario.source_file, graph=scenario.graph)
    _check_graph_file(out)
    return out


def _override_slot(data, dotted, file):
    """The table of ``data`` that holds the dotted key (which must exist)."""
    parts = dotted.split(".")
    if not all(parts):
        raise ScenarioError("empty key: expected a dotted name such as koc.count", file=file,
                            field=dotted or None)
    node = data
    for i, part in enumerate(parts):
        if part not in node:
            guess = _suggest(part, node)
            what = "no such section" if i < len(parts) - 1 else "no such parameter"
            hint = f"; did you mean {'.'.join(parts[:i] + [guess])!r}?" if guess else ""
            raise ScenarioError(f"unknown key ({what}){hint}", file=file,
                                field=".".join(parts[:i + 1]))
        if i < len(parts) - 1:
            if not isinstance(node[part], dict):
                raise ScenarioError("is a value, not a section", file=file,
                                    field=".".join(parts[:i + 1]))
            node = node[part]
    return node
