"""The protocol's rules, exactly: comparisons, the verdict table, declarations, tightness,
sharpened controls, error records and exit codes."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy as sp
import torch

import ntkconv as nc
from ntkconv.cli import main
from ntkconv.protocol import FLOAT_RTOL

V = nc.Verdict


def test_leq_allows_exactly_the_float_slack() -> None:
    assert nc.leq(1.0, 1.0) and nc.leq(1 + 0.5e-9, 1.0) and not nc.leq(1 + 2e-9, 1.0)
    # the slack is relative: 1e-9 of the larger magnitude, so scale does not matter
    assert nc.leq(1e6 * (1 + 0.5e-9), 1e6) and not nc.leq(1e-6 * (1 + 2e-9), 1e-6)
    assert FLOAT_RTOL == 1e-9  # the constant the two lines above pin
    assert not nc.leq(math.inf, 1.0) and nc.leq(math.inf, math.inf) and not nc.leq(math.nan, 1)
    assert nc.leq(1e-16, 0.0, atol=1e-15) and not nc.leq(1e-14, 0.0, atol=1e-15)
    assert nc.leq([0.5, 1.0, 1.5], 1.0).tolist() == [True, True, False]


def test_compare_relations() -> None:
    assert nc.compare(2.0, ">=", 2.0 * (1 + 0.5e-9)) and not nc.compare(2.0, ">=", 2.0 * (1 + 2e-9))
    assert not nc.compare(1.0, "<", 1.0) and nc.compare(1.0, "<", 1.0 + 1e-15)
    assert not nc.compare(1.0, ">", 1.0) and nc.compare(0.0, ">", -1e-300)
    assert nc.compare(1.0, "==", 1 + 0.5e-9) and not nc.compare(1.0, "==", 1 + 2e-9)
    with pytest.raises(ValueError, match="relation must be one of"):
        nc.compare(1.0, "=<", 1.0)


def test_decide_is_the_verdict_table() -> None:
    assert nc.decide(True, True) is V.HOLDS
    assert nc.decide(True, False) is V.VIOLATED
    assert nc.decide(False, True) is V.HELD_OUTSIDE_HYPOTHESES
    assert nc.decide(False, False) is V.FAILED_WITHOUT_HYPOTHESIS
    for met in (True, False):
        for holds in (True, False):
            assert nc.decide(met, holds, diverged=True) is V.DIVERGED


def test_hypothesis_helper_and_bound() -> None:
    h = nc.hypothesis("step", 0.5, "<=", 0.5 * (1 + 0.5e-9), note="1/β")
    assert h.holds and h.required == nc.Bound(0.5 * (1 + 0.5e-9), "<=") and h.note == "1/β"
    assert not nc.hypothesis("step", 0.5, "<=", 0.49).holds
    assert str(nc.Bound(0.07071, "<=")) == "≤ 0.07071"
    assert nc.Bound(1.0, ">").holds(1.5) and not nc.Bound(1.0, ">").holds([1.5, 1.0])


def test_tightness_kinds() -> None:
    t = nc.Tightness.of_upper_bound([1.0, 2.0], [4.0, 5.0], "ratio")
    assert t.kind == "ratio" and t.value == 2.5 and t.reaches(2.5) and not t.reaches(2.6)
    assert nc.Tightness.of_lower_bound([3.0, 8.0], [2.0, 2.0], "").value == 1.5
    # rate: measured 0.25 after the predicted 0.5: exponent 2; a zero measurement is no limit
    assert nc.Tightness.of_rate([1.0, 0.25, 0.0], [1.0, 0.5, 0.25], "").value == pytest.approx(2)
    assert nc.Tightness.margin(0.1, "m").threshold == 0.0
    assert nc.Tightness.none("an equality").kind is None
    with pytest.raises(ValueError, match="must say why"):
        nc.Tightness(None, None, "")
    with pytest.raises(ValueError, match="kind must be one of"):
        nc.Tightness("slack", 1.0, "x")


def test_instance_declarations() -> None:
    assert nc.Instance("a", {}).expected is V.HOLDS
    assert nc.Instance("b", {}, breaks="h").expected is V.FAILED_WITHOUT_HYPOTHESIS
    assert nc.Instance("c", {}, sharpen=2.0).expected is V.VIOLATED
    assert nc.Instance("d", {}, breaks="h", expect="held-outside-hypotheses").control
    assert not nc.Instance("e", {}, expect="held-outside-hypotheses").control
    with pytest.raises(ValueError, match="cannot declare 'holds'"):
        nc.Instance("f", {}, breaks="h", expect="holds")
    with pytest.raises(ValueError, match="cannot declare 'held-outside-hypotheses'"):
        nc.Instance("g", {}, sharpen=2.0, expect="held-outside-hypotheses")
    with pytest.raises(ValueError, match="not both"):
        nc.Instance("h", {}, breaks="h", sharpen=2.0)
    assert nc.Instance("i", {"x": 1}).sharpened(3.0).name == "i-sharpened"


# --- a toy theorem: measured ≤ bound, with knobs that make each verdict ----------------------
CALLS: list[str] = []


def _evaluate(cfg: dict, seed: int) -> nc.Outcome:
    if cfg["raise"]:
        raise RuntimeError("boom")
    CALLS.append(cfg["name"])
    measured = cfg["measured"]
    return nc.Outcome(
        [nc.hypothesis("h", cfg["h"], ">", 0.0)],
        bool(nc.leq(measured, 1.0)),
        nc.Bound(1.0, "<="),
        measured,
        nc.Tightness.of_upper_bound(measured, cfg.get("bound_for_tightness", 1.0), "bound/x"),
        diverged=cfg["diverged"],
    )


def _toy(*instances: nc.Instance) -> nc.Theorem:
    return nc.Theorem("toy", "toy", "none", sp.Le(sp.Symbol("x"), 1), {}, instances, _evaluate)


def _cfg(**kw: object) -> dict:
    return {"name": "", "measured": 0.5, "h": 1.0, "raise": False, "diverged": False, **kw}


def test_records_carry_both_halves_and_sharpen_reuses_the_evaluation() -> None:
    base = nc.Instance("base", _cfg(name="base"))
    toy = _toy(
        base,
        base.sharpened(1.9, name="by-1.9"),
        base.sharpened(2.1, name="by-2.1"),
        nc.Instance("strong", _cfg(h=0.0, measured=2.0), breaks="h"),
        nc.Instance("weak", _cfg(h=0.0), breaks="h", expect="held-outside-hypotheses"),
        nc.Instance("diverges", _cfg(diverged=True), expect="diverged", breaks="h"),
    )
    run = nc.run_checks([toy], progress=False)
    got = {r.instance: r for r in run.results}
    assert got["base"].verdict is V.HOLDS and got["base"].tightness.value == 2.0
    # tightness 2: a bound tightened by 1.9 still holds, by 2.1 it is violated
    assert got["by-1.9"].verdict is V.HOLDS and not got["by-1.9"].as_declared
    assert got["by-2.1"].verdict is V.VIOLATED and got["by-2.1"].as_declared
    assert got["strong"].verdict is V.FAILED_WITHOUT_HYPOTHESIS and got["strong"].as_declared
    assert got["weak"].verdict is V.HELD_OUTSIDE_HYPOTHESES and got["weak"].as_declared
    assert got["diverges"].verdict is V.DIVERGED
    # one evaluation shared by base and its sharpened twins
    assert CALLS.count("base") == 1
    assert got["by-2.1"].shares_evaluation_with == "base"
    record = got["strong"].to_dict()
    assert record["hypotheses_met"] is False and record["conclusion_holds"] is False
    assert record["declared"] == "failed-without-hypothesis" and record["as_declared"] is True
    assert record["tightness"] == {"kind": "ratio", "value": 0.5, "about": "bound/x"}
    assert record["predicted"] == {"value": 1.0, "relation": "<="}
    back = nc.CheckResult.from_dict(json.loads(json.dumps(record)))
    assert back.predicted == nc.Bound(1.0, "<=") and back.verdict is V.FAILED_WITHOUT_HYPOTHESIS


def test_a_sharpened_control_that_still_holds_is_not_as_declared() -> None:
    base = nc.Instance("base", _cfg())
    toy = _toy(base, nc.Instance("loose", _cfg(), sharpen=1.5))
    loose = nc.run_checks([toy], progress=False).of("toy")[1]
    assert loose.verdict is V.HOLDS and loose.problems == ["verdict holds, declared violated"]
    tight = _toy(nc.Instance("tight", _cfg(), sharpen=2.5)).check("tight")
    assert tight.verdict is V.VIOLATED and tight.as_declared


def test_a_control_whose_broken_hypothesis_holds_is_not_as_declared() -> None:
    r = _toy(nc.Instance("c", _cfg(measured=2.0, h=0.0), breaks="other")).check("c")
    assert r.verdict is V.FAILED_WITHOUT_HYPOTHESIS
    assert r.problems == ["the broken hypothesis 'other' is not among the hypotheses"]
    r = _toy(nc.Instance("c", _cfg(measured=2.0), breaks="h", expect="diverged")).check("c")
    assert "the broken hypothesis 'h' holds" in r.problems


def test_inconsistent_tightness_and_bad_outcomes_are_errors() -> None:
    # the conclusion holds (0.5 ≤ 1) but the tightness claims the bound is 0.25
    r = _toy(nc.Instance("x", _cfg(bound_for_tightness=0.25))).check("x")
    assert r.verdict is V.ERROR and "inconsistent outcome" in r.error
    bad = nc.Theorem(
        "bad",
        "bad",
        "none",
        sp.Le(sp.Symbol("x"), 1),
        {},
        (nc.Instance("x", {}),),
        lambda cfg, seed: 1.0,
    )
    assert "must return an ntkconv.Outcome" in bad.check("x").error


def test_an_instance_that_raises_keeps_the_run_and_exits_3(monkeypatch, capsys) -> None:
    toy = _toy(
        nc.Instance("fine", _cfg()),
        nc.Instance("raises", _cfg(**{"raise": True})),
        nc.Instance("after", _cfg()),
    )
    run = nc.run_checks([toy], progress=False)
    assert [r.verdict for r in run.results] == [V.HOLDS, V.ERROR, V.HOLDS]
    assert (
        run.results[1].error == "RuntimeError: boom"
        and "boom" in run.results[1].details["traceback"]
    )
    assert run.exit_code == 3 and "raised" in run.summary()
    monkeypatch.setattr("ntkconv.cli.registry", lambda: {"toy": toy})
    assert main(["check", "toy", "--json", "--no-progress"]) == 3
    records = json.loads(capsys.readouterr().out)
    assert [r["verdict"] for r in records] == ["holds", "error", "holds"]
    assert records[1]["error"] == "RuntimeError: boom"


def test_exit_codes(monkeypatch, capsys, tmp_path) -> None:
    ok = _toy(nc.Instance("fine", _cfg()))
    wrong = _toy(nc.Instance("fine", _cfg(measured=2.0)))
    monkeypatch.setattr("ntkconv.cli.registry", lambda: {"ok": ok, "wrong": wrong})
    assert main(["check", "ok", "--no-progress"]) == 0
    assert main(["check", "wrong", "--no-progress"]) == 1
    assert main(["check", "ok", "wrong", "--no-progress"]) == 1
    assert main(["check", "nope", "--no-progress"]) == 2
    assert "unknown theorem id" in capsys.readouterr().err
    assert main(["check", "ok", "--seeds", "3:1"]) == 2
    assert main(["check", "ok", "--seeds", "0:2", "--figures", "x"]) == 2
    with pytest.raises(SystemExit) as bad:
        main(["check", "ok", "--seed", "-1"])
    assert bad.value.code == 2
    # output paths are checked before any check runs
    a_file = tmp_path / "file"
    a_file.write_text("")
    CALLS.clear()
    assert main(["check", "ok", "--figures", str(a_file / "figs")]) == 2
    assert main(["report", "ok", "--out", str(a_file)]) == 2
    assert CALLS == [] and "--out" in capsys.readouterr().err


def test_calibration_counts_verdicts_over_seeds(monkeypatch, capsys) -> None:
    def by_seed(cfg: dict, seed: int) -> nc.Outcome:  # fails on odd seeds
        return _evaluate({**cfg, "measured": 2.0 if seed % 2 else 0.5}, seed)

    toy = nc.Theorem(
        "toy", "toy", "none", sp.Le(sp.Symbol("x"), 1), {}, (nc.Instance("flaky", _cfg()),), by_seed
    )
    cal = nc.run_calibration([toy], range(4), progress=False)
    (row,) = cal.rows()
    assert row["counts"] == {"holds": 2, "violated": 2} and row["as_declared"] == 2
    assert [x["seed"] for x in row["not_as_declared"]] == [1, 3]
    assert (row["tightness_min"], row["tightness_max"]) == (0.5, 2.0)
    assert cal.exit_code == 1
    monkeypatch.setattr("ntkconv.cli.registry", lambda: {"toy": toy})
    assert main(["check", "toy", "--seeds", "0:4", "--json", "--no-progress"]) == 1
    (printed,) = json.loads(capsys.readouterr().out)
    assert printed["counts"] == {"holds": 2, "violated": 2}
    assert main(["check", "toy", "--seeds", "0,2", "--no-progress"]) == 0
    assert "2/2" in capsys.readouterr().out


# --- edge cases found by planting faults in the machinery itself ------------------------------
def test_confidence_bounds_exactly() -> None:
    iv = nc.subgaussian_interval([0.0, 1.0] * 50, 0.25, alpha=0.05)
    half = math.sqrt(2 * 0.25 * math.log(20) / 100)
    assert (iv.lower, iv.upper) == pytest.approx((0.5 - half, 0.5 + half))
    iv = nc.t_interval([1.0, 2.0, 3.0], alpha=0.05)  # t_{0.95, 2} = 2.919986
    assert (iv.lower, iv.upper) == pytest.approx((2 - 2.919986 / 3**0.5, 2 + 2.919986 / 3**0.5))
    assert iv.exceeds(0.2) and not iv.exceeds(2.0) and iv.below(4.0)
    with pytest.raises(ValueError, match="must lie in"):
        nc.hoeffding_interval([2.0], 0.0, 1.0)


def test_intercept_interval_against_the_textbook_formula() -> None:
    rng = np.random.default_rng(0)
    x = np.repeat([0.5, 0.25, 0.125, 0.0625], 3)
    y = 1.0 + 2.0 * x + rng.normal(0, 0.01, x.size) * np.sqrt(x)
    w = 1 / x
    iv = nc.intercept_interval(x, y, weights=w, alpha=0.05)
    # weighted LS by the normal equations, se from the weighted residual variance
    A = np.stack([np.ones_like(x), x], 1)
    cov = np.linalg.inv(A.T @ (w[:, None] * A))
    coef = cov @ A.T @ (w * y)
    s2 = float((w * (y - A @ coef) ** 2).sum()) / (x.size - 2)
    half = 1.812461 * math.sqrt(s2 * cov[0, 0])  # t_{0.95, 10}
    assert iv.estimate == pytest.approx(coef[0])
    assert (iv.lower, iv.upper) == pytest.approx((coef[0] - half, coef[0] + half), rel=1e-5)
    assert iv.lower < 1.0 < iv.upper and iv.samples == 12
    with pytest.raises(ValueError, match="one length"):
        nc.intercept_interval([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="two distinct x"):
        nc.intercept_interval([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="weights must be > 0"):
        nc.intercept_interval([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], weights=[1.0, 0.0, 1.0])


def test_tightness_edge_cases() -> None:
    assert nc.Tightness.of_upper_bound([0.0, 0.5], 1.0, "").value == 2.0
    assert nc.Tightness.of_upper_bound(math.inf, math.inf, "").value == 1.0
    assert math.isnan(nc.Tightness.of_upper_bound([math.nan, 0.5], 1.0, "").value)
    with pytest.raises(ValueError, match="positive bound"):
        nc.Tightness.of_upper_bound(-2.0, -1.0, "")
    assert nc.Tightness.of_rate([0.5, math.inf], [0.5, 0.25], "").value == -math.inf
    with pytest.raises(ValueError, match="needs a value"):
        nc.Tightness("ratio", None, "x")


def test_sharpen_must_tighten() -> None:
    r = _toy(nc.Instance("s", _cfg(), sharpen=1.0)).check("s")
    assert r.verdict is V.ERROR and "does not tighten" in r.error
    with pytest.raises(ValueError, match="must name a hypothesis"):
        nc.Instance("e", {}, breaks="")


def test_the_evaluation_cache_separates_seeds_theorems_and_types() -> None:
    def by_seed(cfg: dict, seed: int) -> nc.Outcome:
        return _evaluate({**cfg, "measured": 2.0 if seed % 2 else 0.5}, seed)

    flaky = nc.Theorem(
        "a", "a", "", sp.Le(sp.Symbol("x"), 1), {}, (nc.Instance("f", _cfg()),), by_seed
    )
    cache: dict = {}
    assert [flaky.check("f", seed=s, cache=cache).verdict for s in (0, 1)] == [V.HOLDS, V.VIOLATED]
    other = _toy(nc.Instance("f", _cfg(measured=2.0)))  # same config, another theorem
    assert other.check("f", cache=cache).verdict is V.VIOLATED
    CALLS.clear()
    twins = _toy(
        nc.Instance("list", _cfg(name="x", shape=[1, 2])),
        nc.Instance("tuple", _cfg(name="x", shape=(1, 2))),
        nc.Instance("again", _cfg(name="x", shape=(1, 2))),
    )
    nc.run_checks([twins], progress=False)
    assert CALLS == ["x", "x"]  # list and tuple evaluated apart; the identical config shared


def test_records_survive_json_with_infinities_nan_and_intervals() -> None:
    r = _toy(nc.Instance("z", _cfg(measured=0.0))).check("z")
    back = nc.CheckResult.from_dict(json.loads(json.dumps(r.to_dict())))
    assert back.tightness == nc.Tightness.ratio(math.inf, "bound/x")
    iv = nc.t_interval([1.0, 2.0, 3.0])
    out = nc.Outcome([], False, 1.0, {"mean": iv}, nc.Tightness.ratio(math.nan, "nan"))
    toy = nc.Theorem(
        "t", "t", "", sp.Le(sp.Symbol("x"), 1), {}, (nc.Instance("i", {}),), lambda cfg, seed: out
    )
    rec = toy.check("i")
    back = nc.CheckResult.from_dict(json.loads(json.dumps(rec.to_dict())))
    assert back.measured["mean"] == iv and math.isnan(back.tightness.value)
    # a tensor that carries a graph (a user's nn.Module output) does not break the record
    w = torch.ones(2, requires_grad=True)
    rec.details["x"] = w * 2
    assert rec.to_dict()["details"]["x"] == [2.0, 2.0]


def test_a_diverged_run_is_diverged_whatever_its_tightness() -> None:
    out = nc.Outcome([], True, 1.0, math.nan, nc.Tightness.ratio(math.nan, "nan"), diverged=True)
    toy = nc.Theorem(
        "t",
        "t",
        "",
        sp.Le(sp.Symbol("x"), 1),
        {},
        (nc.Instance("i", {}, breaks="h", expect="diverged"),),
        lambda cfg, seed: out,
    )
    assert toy.check("i").verdict is V.DIVERGED


def test_calibration_counts_error_records_as_not_declared(monkeypatch, capsys) -> None:
    def raises_on_odd(cfg: dict, seed: int) -> nc.Outcome:
        return _evaluate({**cfg, "raise": bool(seed % 2)}, seed)

    toy = nc.Theorem(
        "toy", "toy", "", sp.Le(sp.Symbol("x"), 1), {}, (nc.Instance("i", _cfg()),), raises_on_odd
    )
    (row,) = nc.run_calibration([toy], [0, 1], progress=False).rows()
    assert row["as_declared"] == 1 and row["counts"] == {"holds": 1, "error": 1}
    assert row["not_as_declared"][0]["error"] == "RuntimeError: boom"
    monkeypatch.setattr("ntkconv.cli.registry", lambda: {"toy": toy})
    assert main(["check", "toy", "--seeds", "0:2", "--no-progress"]) == 3
    assert main(["check", "toy", "--seeds", "1,1"]) == 2
    assert main(["check", "toy", "--seeds", "9223372036854775808"]) == 2
    assert main(["check", "toy", "--seeds", "0:2", "--seed", "3"]) == 2


def test_a_raising_instance_does_not_cost_the_figures_or_the_report(tmp_path, monkeypatch) -> None:
    def figure(results):  # like the theorems' figures: reads details every record has
        assert all("never" not in r.details for r in results)
        return nc.plotting.panel_grid([r.instance for r in results])[0]

    toy = nc.Theorem(
        "toy",
        "toy",
        "",
        sp.Le(sp.Symbol("x"), 1),
        {},
        (nc.Instance("fine", _cfg()), nc.Instance("raises", _cfg(**{"raise": True}))),
        _evaluate,
        figure=figure,
    )
    monkeypatch.setattr("ntkconv.cli.registry", lambda: {"toy": toy})
    assert main(["report", "toy", "--out", str(tmp_path / "r"), "--no-progress"]) == 3
    html = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "RuntimeError: boom" in html and "data:image/png;base64," in html
    assert main(["check", "toy", "--figures", str(tmp_path / "f"), "--no-progress"]) == 3
    assert (tmp_path / "f" / "toy.png").exists()
