"""Checkpoints: a run saved at day k, loaded and run on, equals the uninterrupted one exactly."""

import json
import os
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest

import growthsim as gs
from growthsim import checkpoint as ck
from growthsim.checkpoint import CheckpointError, CheckpointWarning
from growthsim.graphs import SocialGraph
from growthsim.presets import bass, erdos_renyi_cascade

# Mesa's scheduling and registry objects are rebuilt, not restored; the clock they drive
# (steps, time) and both random generators are compared below.
_MESA_PLUMBING = {"_event_list", "_default_schedule", "_event_generators", "_user_step", "step",
                  "_agents_by_type", "_all_agents", "data_registry", "_mesa_scenario",
                  "_simulator", "_metrics"}


def _small(**over):
    return gs.Scenario().with_overrides({"population.n": 5_000, "run.days": 60, **over})


def _rich():
    """KOCs signed on day 25, rewards with loss aversion, a campaign and a crisis, ads paid as a
    share of revenue, churn."""
    return _small(**{
        "koc.count": 15, "koc.signed_day": 25, "koc.followers": 200.0,
        "rewards.enabled": True, "rewards.loss_aversion": True,
        "ads.daily_budget": [200.0], "ads.revenue_share": [0.2],
        "churn.enabled": True,
        "events": [{"kind": "campaign", "day": 5, "duration": 10, "content_mult": 2.0},
                   {"kind": "crisis", "day": 30, "duration": 5, "trust_shock": 0.2}],
    })


def _same_graph(a, b, where):
    assert (a is None) == (b is None), where
    if a is None:
        return
    assert isinstance(b, SocialGraph), where
    for name in ("directed", "complete", "name"):
        assert getattr(a, name) == getattr(b, name), f"{where}.{name}"
    for name, arr in a._arrays().items():
        other = getattr(b, name)
        assert (arr is None) == (other is None), f"{where}.{name}"
        if arr is not None:
            assert arr.dtype == other.dtype and np.array_equal(arr, other), f"{where}.{name}"


def _same_value(a, b, where):
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, where
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), where
    elif isinstance(a, (tuple, list)) and a and isinstance(a[0], np.ndarray):
        assert len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b)):
            _same_value(x, y, f"{where}[{k}]")
    elif isinstance(a, SocialGraph):
        _same_graph(a, b, where)
    elif isinstance(a, gs.Scenario):
        assert a == b and a.source_file == b.source_file, where
        _same_graph(a.graph, b.graph, where + ".graph")
    elif type(a).__name__ == "Population":
        assert a.n == b.n, where
        _same_value(a.I, b.I, where + ".I")
        _same_value(a.F, b.F, where + ".F")
    elif type(a).__name__ in ("Generator", "Random"):
        pass  # compared through their states in _same_state
    elif isinstance(a, (bool, int, float, np.number)):  # numpy or Python scalar alike
        assert _kind(a) == _kind(b) and a == b, f"{where}: {a!r} != {b!r}"
    else:
        assert type(a) is type(b) and a == b, f"{where}: {a!r} != {b!r}"


def _kind(x):
    if isinstance(x, (bool, np.bool_)):
        return "bool"
    return "int" if isinstance(x, (int, np.integer)) else "float"


def _same_state(a, b):
    """Every attribute the model carries (a new attribute not saved fails here)."""
    keys_a, keys_b = set(vars(a)) - _MESA_PLUMBING, set(vars(b)) - _MESA_PLUMBING
    assert keys_a == keys_b, keys_a ^ keys_b
    for key in sorted(keys_a):
        _same_value(getattr(a, key), getattr(b, key), key)
    assert a.rng.bit_generator.state == b.rng.bit_generator.state
    assert a.random.getstate() == b.random.getstate()
    assert a._rng == b._rng
    assert a._user_step.__func__ is b._user_step.__func__ and a._user_step.__self__ is a


def _resume_equals_uninterrupted(sc, k, days, path, graph=None):
    """Save at day k, load, run on to `days`; compare with one run to `days`."""
    whole = gs.GrowthModel(sc, graph=graph)
    whole.run(days=days)
    part = gs.GrowthModel(sc, graph=graph)
    part.run(days=k)
    part.save(path)
    loaded = gs.GrowthModel.load(path)
    assert loaded.day == part.day
    _same_state(part, loaded)
    loaded.run(days=days - k)
    pd.testing.assert_frame_equal(loaded.metrics, whole.metrics, check_exact=True)
    _same_state(whole, loaded)
    return loaded


@pytest.mark.parametrize("k", [0, 17, 40])
def test_default_small_world(tmp_path, k):
    _resume_equals_uninterrupted(_small(), k, 40, tmp_path / "a.npz")


@pytest.mark.parametrize("k", [10, 28])  # before and after the KOCs are signed (day 25)
def test_kocs_rewards_events_ads_share_churn(tmp_path, k):
    model = _resume_equals_uninterrupted(_rich(), k, 45, tmp_path / "a.npz")
    m = model.metrics
    # the features the case is about really acted
    assert m["kocs_signed"].sum() > 0 and m["churned"].sum() > 0 and m["ad_cost"].sum() > 0
    assert m["revenue"].sum() > 0 and model.notes_stock > 0


def test_complete_graph_preset(tmp_path):
    sc = bass(3_000, p=0.03, q=0.38, days=60)
    model = _resume_equals_uninterrupted(sc, 21, 60, tmp_path / "a.npz")
    assert model.graph.complete and model.scenario.graph is model.graph


def test_stopped_cascade_stays_stopped(tmp_path):
    sc = erdos_renyi_cascade(2_000, 4.0, 0.5, seed=3)
    done = gs.GrowthModel(sc)
    done.run(days=200)
    assert not done.running
    done.save(tmp_path / "a.npz")
    loaded = gs.GrowthModel.load(tmp_path / "a.npz")
    assert not loaded.running and loaded.run().equals(done.metrics)
    _resume_equals_uninterrupted(sc, 2, 200, tmp_path / "b.npz")


def test_explicit_graph_differs_from_attached(tmp_path):
    sc = bass(500, p=0.03, q=0.38, days=30)  # attaches a complete graph
    graph = gs.graphs.ring(500, 6)
    model = _resume_equals_uninterrupted(sc, 12, 30, tmp_path / "a.npz", graph=graph)
    assert not model.graph.complete and model.scenario.graph.complete


def test_graph_file_scenario_resumes_without_the_file(tmp_path):
    gen = np.random.default_rng(5)
    u, v = gen.integers(0, 2_000, 12_000), gen.integers(0, 2_000, 12_000)
    lines = [f"{a} {b}" for a, b in zip(u, v) if a != b] + ["1999 0"]
    (tmp_path / "edges.txt").write_text("\n".join(lines) + "\n")
    (tmp_path / "sc.toml").write_text(
        'name = "edges"\n[population]\nn = 2000\ngraph = "file"\ngraph_file = "edges.txt"\n'
        "[seeding]\ninitial_members = 40\n")
    sc = gs.load_scenario(tmp_path / "sc.toml")
    whole = gs.GrowthModel(sc)
    whole.run(days=30)
    part = gs.GrowthModel(sc)
    part.run(days=9)
    part.save(tmp_path / "a.npz")
    (tmp_path / "edges.txt").unlink()  # the checkpoint holds the graph
    loaded = gs.GrowthModel.load(tmp_path / "a.npz")
    assert loaded.scenario.source_file == str(tmp_path / "sc.toml")
    loaded.run(days=21)
    pd.testing.assert_frame_equal(loaded.metrics, whole.metrics, check_exact=True)
    _same_state(whole, loaded)


_THREADS_SCRIPT = """
import sys, growthsim as gs
start, save_at, out = sys.argv[1], sys.argv[2], sys.argv[3]
m = gs.GrowthModel.load(start)
if save_at != "-":
    m.run(days=14)
    m.save(save_at)
m.run(days=40 - m.day)
m.metrics.to_parquet(out)
"""


def test_saved_with_one_thread_resumed_with_two(tmp_path):
    """A checkpoint written by a 1-thread process and resumed in a 2-thread process gives the
    run a 1-thread process makes without stopping (fresh processes, so the thread counts
    hold whatever this machine's default)."""
    gs.GrowthModel(_rich()).save(tmp_path / "start.npz")  # day 0: the scenario travels inside

    def run(threads, *args):
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
        subprocess.run([sys.executable, "-c", _THREADS_SCRIPT, *map(str, args)], env=env,
                       check=True, timeout=600)

    run(1, tmp_path / "start.npz", tmp_path / "a.npz", tmp_path / "whole.parquet")
    run(2, tmp_path / "a.npz", "-", tmp_path / "resumed.parquet")
    whole = pd.read_parquet(tmp_path / "whole.parquet")
    resumed = pd.read_parquet(tmp_path / "resumed.parquet")
    assert len(whole) == 40
    pd.testing.assert_frame_equal(resumed, whole, check_exact=True)


def test_saving_is_deterministic_and_atomic(tmp_path):
    model = gs.GrowthModel(_rich())
    model.run(days=27)
    a, b, c = tmp_path / "a.npz", tmp_path / "b.npz", tmp_path / "c.npz"
    model.save(a)
    model.save(b)
    assert a.read_bytes() == b.read_bytes()
    gs.GrowthModel.load(a).save(c)  # a loaded model saves the same bytes again
    assert c.read_bytes() == a.read_bytes()
    model.save(a, compress=True)  # replaces the file in place
    assert a.stat().st_size < b.stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "b.npz", "c.npz"]
    # an ordinary npz archive, readable without pickle
    with np.load(b, allow_pickle=False) as z:
        assert np.array_equal(z["I"], model.population.I)
    header = ck.read_header(b)
    assert header["format"] == ck.FORMAT and header["model"]["day"] == 27
    assert header["scenario"] == model.scenario.to_dict()


def test_save_into_missing_folder(tmp_path):
    model = gs.GrowthModel(_small(**{"population.n": 300}))
    with pytest.raises(CheckpointError, match="cannot write") as err:
        model.save(tmp_path / "no" / "a.npz")
    assert str(tmp_path / "no" / "a.npz") in str(err.value)


# -- bad files ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("ck") / "good.npz"
    model = gs.GrowthModel(_small(**{"population.n": 400}))
    model.run(days=5)
    model.save(path)
    return path


def _rewrite(src, dst, header=None, drop=(), replace=None):
    """Copy a checkpoint, changing its header or dropping/replacing members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = zin.read(info.filename)
            if info.filename == "header.json" and header is not None:
                data = json.dumps(header(json.loads(data))).encode()
            if replace and info.filename in replace:
                data = replace[info.filename]
            zout.writestr(info, data)
    return dst


def _set(key, value):
    def edit(h):
        node = h
        *parts, last = key.split(".")
        for p in parts:
            node = node[p]
        node[last] = value
        return h
    return edit


def test_missing_and_not_a_checkpoint(tmp_path):
    cases = {tmp_path / "nope.npz": "no such checkpoint file", tmp_path: "is a directory"}
    (tmp_path / "text.npz").write_text("hello")
    cases[tmp_path / "text.npz"] = "not a growthsim checkpoint"
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.arange(3))
    cases[plain] = r"no header\.json"
    for path, message in cases.items():
        with pytest.raises(CheckpointError, match=message) as err:
            gs.GrowthModel.load(path)
        assert str(path) in str(err.value)
        assert isinstance(err.value, gs.GrowthsimError)


def test_truncated_and_flipped_bytes(saved, tmp_path):
    data = saved.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match="not a growthsim checkpoint"):
        gs.GrowthModel.load(cut)
    with zipfile.ZipFile(saved) as z:
        info = z.getinfo("F.npy")
    flipped = bytearray(data)
    at = info.header_offset + 30 + len(info.filename) + 20 + 200  # inside F's data
    flipped[at] ^= 0x10
    bad = tmp_path / "flip.npz"
    bad.write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError, match="damaged checkpoint: array 'F'"):
        gs.GrowthModel.load(bad)


@pytest.mark.parametrize("edit, message", [
    (_set("format", "other"), "not a growthsim checkpoint"),
    (_set("version", 99), "format version 99"),
    (_set("layout.I", ["stage"]), r"state layout \(I\)"),
    (_set("model.day", 3), "5 metric rows for day 3"),
    (_set("model.n_members", 10**6), "n_members"),
    (_set("scenario.sharing.p_share", 7.0), "stored scenario is invalid"),
    (_set("arrays.I.shape", [1, 2]), "damaged checkpoint: array 'I'"),
    (lambda h: {k: v for k, v in h.items() if k != "mesa"}, "inconsistent checkpoint"),
])
def test_bad_header(saved, tmp_path, edit, message):
    bad = _rewrite(saved, tmp_path / "bad.npz", header=edit)
    with pytest.raises(CheckpointError, match=message):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CheckpointWarning)
            gs.GrowthModel.load(bad)


def test_missing_array_and_garbage_header(saved, tmp_path):
    with pytest.raises(CheckpointError, match="array 'members' is missing"):
        gs.GrowthModel.load(_rewrite(saved, tmp_path / "a.npz", drop={"members.npy"}))
    with pytest.raises(CheckpointError, match="damaged checkpoint header"):
        gs.GrowthModel.load(_rewrite(saved, tmp_path / "b.npz",
                                     replace={"header.json": b"{not json"}))


def test_other_code_version_warns_or_refuses(saved, tmp_path):
    other = _rewrite(saved, tmp_path / "o.npz", header=_set("code_version", "0.0.1+abc"))
    with pytest.warns(CheckpointWarning, match="0.0.1"):
        model = gs.GrowthModel.load(other)
    assert model.day == 5
    with pytest.raises(CheckpointError, match="may differ"):
        gs.GrowthModel.load(other, strict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same code loads silently
        gs.GrowthModel.load(saved, strict=True)


# -- the comparison can fail: each perturbed state item is caught ---------------------------------
def _perturb_header(key, value):
    def perturb(header, arrays):
        _set(key, value)(header)
    return perturb


def _perturb_array(name, fn):
    def perturb(header, arrays):
        arrays[name] = fn(arrays[name].copy())
    return perturb


@pytest.mark.parametrize("perturb", [
    _perturb_header("model.notes_stock", 0.0),
    _perturb_header("model.hab_mean", 0.0),
    _perturb_header("model.ugc_yesterday", 0),
    _perturb_header("mesa.steps", 0),
    _perturb_header("mesa.rng", np.random.default_rng(987_654).bit_generator.state),
    _perturb_array("F", lambda a: a * (1 + 1e-12)),
    _perturb_array("rows", lambda a: a * 0.5),  # the revenue window sets the ad budget
    _perturb_array("follow_indices", lambda a: a[::-1].copy()),
], ids=["notes", "hab", "ugc", "steps", "rng", "F", "rows", "follow"])
def test_perturbed_state_is_caught(tmp_path, monkeypatch, perturb):
    """The identity check really discriminates: spoiling one saved item makes it fail."""
    real = ck._state

    def spoiled(model):
        header, arrays = real(model)
        perturb(header, arrays)
        return header, arrays

    monkeypatch.setattr(ck, "_state", spoiled)
    with pytest.raises(AssertionError):
        _resume_equals_uninterrupted(_rich(), 28, 40, tmp_path / "a.npz")
