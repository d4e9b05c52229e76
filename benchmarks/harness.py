"""Timing and reporting shared by the benchmarks.

Every figure is the median of several runs, and every target is a ratio
against a baseline measured in the same run on the same machine, so a slower
or busier machine moves both sides together.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def seconds(s: float) -> str:
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


@dataclass(frozen=True)
class Options:
    quick: bool  # smaller sizes, fewer runs: a smoke run, not the published figures
    runs: int  # timed runs per measurement (the median is reported)
    work: Path  # scratch folder (git-ignored): generated cassettes, configs, databases


@dataclass
class Timing:
    label: str
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def spread(self) -> str:
        if len(self.seconds) < 2:
            return "1 run"
        return f"{len(self.seconds)} runs, {seconds(min(self.seconds))} – {seconds(max(self.seconds))}"


@dataclass
class Ratio:
    """`value` = project figure / baseline figure (>1 means the project is faster, for throughputs)."""

    name: str
    value: float
    target: float | None = None  # at least this; None: reported, no target
    at_most: bool = False  # the target is an upper bound (e.g. incremental / back-fill cost)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value <= self.target if self.at_most else self.value >= self.target

    def cell(self) -> str:
        if self.target is None:
            return "—"
        bound = "≤" if self.at_most else "≥"
        return f"{bound} {self.target:g}: **{'met' if self.met else 'NOT MET'}**"


@dataclass
class Section:
    """One benchmark's results, as written to BENCHMARKS.md."""

    key: str
    title: str
    command: str
    what: str
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (measure, value, detail)
    ratios: list[Ratio] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profile: str = ""
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # passed between a benchmark's steps; not written

    def row(self, measure: str, value: str, detail: str = "") -> None:
        self.rows.append((measure, value, detail))

    def timing_row(self, t: Timing, *, rows: int | None = None, unit: str = "rows") -> None:
        rate = f"{rows / t.median:,.0f} {unit}/s" if rows else ""
        self.row(t.label, seconds(t.median), ", ".join(x for x in (rate, t.spread()) if x))

    def markdown(self) -> str:
        out = [f"## {self.title}", "", self.what, "", f"Command: `{self.command}`", ""]
        if self.rows:
            out += ["| measure | value | detail |", "|---|---|---|"]
            out += [f"| {m} | {v} | {d} |" for m, v, d in self.rows]
            out.append("")
        if self.ratios:
            out += ["| ratio | value | target |", "|---|---|---|"]
            out += [f"| {r.name} | **{r.value:.3g}×** | {r.cell()} |" for r in self.ratios]
            out.append("")
        for n in self.notes:
            out += [n, ""]
        if self.profile:
            out += ["<details><summary>Profile</summary>", "", "```", self.profile.rstrip(), "```", "",
                    "</details>", ""]
        out.append(f"_This benchmark took {self.seconds:.0f} s in all, set-up included._")
        out.append("")
        return "\n".join(out)


def time_runs(label: str, fn: Callable[[], Any], runs: int, *, setup: Callable[[], Any] | None = None,
              budget: float = 45.0) -> Timing:
    """Run `setup` (untimed) then `fn` (timed), `runs` times, or fewer once `budget` seconds are spent.

    A measurement that takes half a minute varies little between runs; the
    budget keeps the slow paths (the findings) from making the whole run long.
    """
    seconds: list[float] = []
    for _ in range(runs):
        if seconds and sum(seconds) > budget:
            break
        if setup is not None:
            setup()
        gc.collect()
        t0 = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - t0)
    return Timing(label, seconds)
