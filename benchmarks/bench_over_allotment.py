"""Accuracy of the over-allotment parser on a folder of real post-listing announcements (not a CI test).

    nice -n 10 python -m benchmarks.bench_over_allotment --corpus ../shared/corpus/hkex \\
        --checked benchmarks/data/over_allotment_checked.json --out benchmarks/results/over_allotment.md

For every PDF in CORPUS/over-allotment/: per field, how many files gave a
figure (found), how many had the figure withheld by a check with the reason
in a warning (refused), and how many figures look wrong on their face
(suspicious: a share of the offer above 15%, final ≠ initial + added, net
proceeds without shares). For the files we read by hand (--checked, JSON:
{file stem: {metric: value}}) every figure is compared: agree / missing /
WRONG, with the quote of every disagreement.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import Counter
from pathlib import Path

from hkipo.core.errors import UserError
from hkipo.extract.over_allotment import parse_over_allotment_pdf

FIELDS = ("over_allotment_shares", "over_allotment_share_of_offer", "over_allotment_proceeds",
          "shares_over_allocated", "shares_offered_initial", "shares_offered_final")


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(1e-6, 1e-6 * abs(b))


def run(corpus: Path, checked: dict[str, dict]) -> str:
    files = sorted((corpus / "over-allotment").glob("*.pdf"))
    found: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    suspicious: list[str] = []
    outcomes: Counter[str] = Counter()
    errors: list[str] = []
    hand = {"agree": 0, "missing": 0, "wrong": 0}
    hand_lines: list[str] = []
    t0 = time.perf_counter()
    for f in files:
        try:
            r = parse_over_allotment_pdf(f, name=f.name)
        except UserError as e:
            errors.append(f"{f.name}: {e}")
            continue
        outcomes[str(r.outcome)] += 1
        got = {c.metric: c for c in r.claims}
        for m in FIELDS:
            if m in got:
                found[m] += 1
            elif any(w.startswith(f"{m} not stored") for w in r.warnings):
                refused[m] += 1
        v = {m: c.value for m, c in got.items()}
        if v.get("over_allotment_share_of_offer", 0) > 0.1505:
            suspicious.append(f"{f.name}: share of offer {v['over_allotment_share_of_offer']}")
        if "shares_offered_final" in v and v["shares_offered_final"] != v["shares_offered_initial"] + v.get(
                "over_allotment_shares", float("nan")):
            suspicious.append(f"{f.name}: final ≠ initial + added")
        if "over_allotment_proceeds" in v and not v.get("over_allotment_shares"):
            suspicious.append(f"{f.name}: proceeds without shares")
        if r.outcome == "lapsed" and v.get("over_allotment_shares"):
            suspicious.append(f"{f.name}: lapsed but shares issued")
        want = checked.get(f.stem)
        if not want:
            continue
        for m, expected in want.items():
            if m == "outcome":
                ok = r.outcome == expected
                hand["agree" if ok else ("missing" if r.outcome is None else "wrong")] += 1
                if not ok:
                    hand_lines.append(f"| {f.stem} | outcome | {expected} | {r.outcome} | |")
                continue
            if m == "hkex_code":
                ok = r.hkex_code == expected
                hand["agree" if ok else "wrong"] += 1
                if not ok:
                    hand_lines.append(f"| {f.stem} | hkex_code | {expected} | {r.hkex_code} | |")
                continue
            c = got.get(m)
            if expected is None:
                hand["agree" if c is None else "wrong"] += 1
                if c is not None:
                    hand_lines.append(f"| {f.stem} | {m} | (none) | {c.value} | p.{c.page} {c.quote[:120]} |")
                continue
            if c is None:
                hand["missing"] += 1
                why = next((w for w in r.warnings if w.startswith(m)), "not found")
                hand_lines.append(f"| {f.stem} | {m} | {expected:,} | missing | {why[:140]} |")
            elif _close(c.value, float(expected)):
                hand["agree"] += 1
            else:
                hand["wrong"] += 1
                hand_lines.append(f"| {f.stem} | {m} | {expected:,} | **{c.value:,}** | p.{c.page} {c.quote[:120]} |")
    elapsed = time.perf_counter() - t0
    out = [
        "## Over-allotment / stabilisation announcements (issue 12 item 4)", "",
        f"Machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}, "
        f"{__import__('os').cpu_count()} cores (shared). Command: `nice -n 10 python -m benchmarks.bench_over_allotment "
        "--corpus ../shared/corpus/hkex --checked benchmarks/data/over_allotment_checked.json "
        "--out benchmarks/results/over_allotment.md`", "",
        f"{len(files)} PDFs in `over-allotment/`, parsed in {elapsed:.1f} s ({elapsed / max(1, len(files)):.2f} s each). "
        f"Refused as not an over-allotment announcement: {len(errors)}. Outcome read: "
        + ", ".join(f"{k} {n}" for k, n in sorted(outcomes.items())) + ".", "",
        "| field | found | refused by a check (reason in warnings) | neither |", "|---|---|---|---|",
    ]
    n = len(files) - len(errors)
    for m in FIELDS:
        out.append(f"| `{m}` | {found[m]} | {refused[m]} | {n - found[m] - refused[m]} |")
    out += ["", f"Suspicious figures (a share of the offer above 15%, final ≠ initial + added, proceeds without "
                 f"shares, shares on a lapse): **{len(suspicious)}**" + ("" if not suspicious else ": " + "; ".join(suspicious)),
            "", f"Hand-checked ({len(checked)} files, every figure read by us from the PDF): agree {hand['agree']}, "
                f"missing {hand['missing']}, **wrong {hand['wrong']}**.", ""]
    if hand_lines:
        out += ["| file | field | hand-checked | parser | page / quote or reason |", "|---|---|---|---|---|", *hand_lines, ""]
    if errors:
        out += ["Refused files:", *[f"- {e}" for e in errors], ""]
    out += ["`neither` = the announcement does not state the figure in a form the parser reads (a lapse has no "
            "proceeds; most stabilisation-end notices have no shareholding table, so no initial/final size).", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--checked", type=Path, default=Path(__file__).parent / "data" / "over_allotment_checked.json")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    if not (a.corpus / "over-allotment").is_dir():
        print(f"error: {a.corpus}/over-allotment is not a directory", file=sys.stderr)
        return 2
    checked = {k: v for k, v in json.loads(a.checked.read_text(encoding="utf-8")).items() if not k.startswith("_")}
    text = run(a.corpus, checked)
    if a.out:
        a.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
