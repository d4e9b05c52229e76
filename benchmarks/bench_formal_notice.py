"""Accuracy of the formal notice parser over a folder of real formal notices.

    nice -n 10 python -m benchmarks.bench_formal_notice [DIR] [--out FILE]

DIR defaults to ../shared/corpus/hkex/formal-notice (not shipped with the
project; the benchmark says so and exits 0 when it is absent). Expected
figures are in benchmarks/data/formal_notice_expected.json, read by hand from
each PDF's text. Per field: correct, missing (the parser stored nothing where
the notice states a figure), WRONG (a value that differs), and extra (a value
where the notice states none). Dates compare on the day and, when both sides
have one, the time; a time the parser did not find is counted apart.
Results go to benchmarks/results/formal_notice.md with the machine and the
command.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.machine import describe
from hkipo.core.errors import UserError
from hkipo.extract.formal_notice import NotAFormalNotice, parse_formal_notice_pdf

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "benchmarks" / "data" / "formal_notice_expected.json"
DEFAULT_DIR = REPO.parent / "shared" / "corpus" / "hkex" / "formal-notice"
OUT = REPO / "benchmarks" / "results" / "formal_notice.md"
FIELDS = ("stock_code", "shares_offered", "public_offer_shares", "international_offer_shares", "offer_price",
          "offer_price_low", "offer_price_high", "board_lot", "offer_open", "offer_close", "price_determination_date",
          "allotment_results_date", "listing_date", "sponsor_kind", "sponsors", "overall_coordinators")
DATES = {"offer_open", "offer_close", "price_determination_date", "allotment_results_date", "listing_date"}


def _got(result: object, name: str) -> object:
    if name == "sponsors":
        return result.sponsors or None  # type: ignore[attr-defined]
    if name == "overall_coordinators":
        return result.overall_coordinators or None  # type: ignore[attr-defined]
    return result.get(name)  # type: ignore[attr-defined]


def _compare(name: str, expected: object, got: object) -> tuple[str, bool]:
    """(outcome, time missing) with outcome in correct | missing | WRONG | extra | absent."""
    if expected is None:
        return ("absent" if got is None else "extra"), False
    if got is None:
        return "missing", False
    if name in DATES:
        e, g = str(expected), str(got)
        if e[:10] != g[:10]:
            return "WRONG", False
        if len(e) > 10 and len(g) > 10 and e != g:
            return "WRONG", False
        return "correct", len(e) > 10 and len(g) == 10
    if isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        return ("correct" if abs(float(expected) - float(got)) < 1e-9 else "WRONG"), False
    if isinstance(expected, list):
        return ("correct" if [s.lower() for s in expected] == [str(s).lower() for s in got] else "WRONG"), False  # type: ignore[union-attr]
    return ("correct" if str(expected) == str(got) else "WRONG"), False


def refusals_of(folders: list[Path]) -> list[str]:
    """Every PDF in folders of other HKEX documents must be refused: one row per folder and reason."""
    rows: dict[tuple[str, str], int] = {}
    accepted: list[str] = []
    for folder in folders:
        for pdf in sorted(folder.glob("*.pdf")):
            try:
                parse_formal_notice_pdf(pdf, name=pdf.name)
                accepted.append(f"{folder.name}/{pdf.name}")
            except UserError as e:
                reason = str(e).split(": ", 1)[-1]
                rows[(folder.name, reason)] = rows.get((folder.name, reason), 0) + 1
    out = ["| folder | reason given | files |", "|---|---|---:|"]
    out += [f"| {f} | {r} | {n} |" for (f, r), n in sorted(rows.items())]
    out += [f"| {a} | **accepted as a formal notice** | 1 |" for a in accepted]
    return out


def sponsors_in(folder: Path) -> list[tuple[str, list[str]]]:
    from hkipo.extract.formal_notice import _flatten, _clean, read_pdf
    from hkipo.extract.sponsors import sponsors_named

    out = []
    for pdf in sorted(folder.glob("*.pdf")):
        try:
            _, pages = read_pdf(pdf.read_bytes(), label=pdf.name, max_pages=40)
        except UserError:
            continue
        names = sponsors_named("\n".join(_flatten(_clean(p)) for p in pages))
        if names:
            out.append((pdf.stem, names))
    return out


def run(folder: Path) -> str:
    spec = json.loads(DATA.read_text(encoding="utf-8"))
    counts = {f: {"correct": 0, "missing": 0, "WRONG": 0, "extra": 0, "absent": 0, "time_missing": 0} for f in FIELDS}
    problems: list[str] = []
    refusals: list[str] = []
    timings: list[tuple[str, float]] = []
    files = sorted(folder.glob("*.pdf"))
    for pdf in files:
        code = pdf.stem
        t0 = time.perf_counter()
        try:
            result = parse_formal_notice_pdf(pdf, name=pdf.name)
            err = None
        except UserError as e:
            result, err = None, e
        timings.append((code, time.perf_counter() - t0))
        if code in spec["refuse"]:
            ok = isinstance(err, NotAFormalNotice)
            refusals.append(f"| {pdf.name} | {spec['refuse'][code]} | {'refused' if ok else 'NOT refused'}: "
                            f"{str(err).split(': ', 1)[-1] if err else '-'} | {timings[-1][1]:.2f} s |")
            continue
        expected = spec["notices"].get(code)
        if expected is None:
            problems.append(f"- {pdf.name}: no expected figures (not counted)")
            continue
        if result is None:
            problems.append(f"- {pdf.name}: refused ({err}) but it is a formal notice")
            for f in FIELDS:
                if expected.get(f) is not None:
                    counts[f]["missing"] += 1
            continue
        for f in FIELDS:
            outcome, no_time = _compare(f, expected.get(f), _got(result, f))
            counts[f][outcome] += 1
            counts[f]["time_missing"] += int(no_time)
            if outcome in ("WRONG", "extra"):
                problems.append(f"- {pdf.name} {f}: expected {expected.get(f)!r}, got {_got(result, f)!r}")
            elif outcome == "missing":
                problems.append(f"- {pdf.name} {f}: missing ({result.notes.get(f, 'no reason given')})")
    machine = describe(REPO)
    lines = ["## Formal notices: parser accuracy", "",
             f"Command: `nice -n 10 python -m benchmarks.bench_formal_notice {folder}`", "",
             machine.markdown(), "",
             f"{len(files)} PDFs; expected figures read by hand from each PDF's text "
             f"(`benchmarks/data/formal_notice_expected.json`). 'absent': the notice states no such figure and the "
             f"parser stored none (also right). A date with the right day whose time the parser did not find counts "
             f"as correct and is shown in 'no time'. In-sample: the parser's labels were written while reading these "
             f"same files, so this measures coverage of the layouts seen, not accuracy on new notices.", "",
             "| field | correct | absent (right) | missing | WRONG | extra | no time |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    tot = {k: 0 for k in ("correct", "absent", "missing", "WRONG", "extra")}
    for f in FIELDS:
        c = counts[f]
        for k in tot:
            tot[k] += c[k]
        lines.append(f"| {f} | {c['correct']} | {c['absent']} | {c['missing']} | {c['WRONG']} | {c['extra']} | "
                     f"{c['time_missing'] or ''} |")
    lines.append(f"| **all** | {tot['correct']} | {tot['absent']} | {tot['missing']} | {tot['WRONG']} | "
                 f"{tot['extra']} | |")
    lines += ["", "Refusals (decided from the first 5 pages):", "", "| file | is | outcome | time |", "|---|---|---|---:|",
              *refusals, ""]
    others = [p for p in (folder.parent / "allotment", folder.parent / "over-allotment") if p.is_dir()]
    if others:
        lines += ["Other HKEX documents (allotment results, over-allotment and stabilisation announcements), "
                  "all of which must be refused:", "", *refusals_of(others), ""]
    allot = folder.parent / "allotment"
    if allot.is_dir():
        lines += ["Sponsors named in a sentence of an allotment announcement (`hkipo/extract/sponsors.py`; the "
                  "names are what the sentence prints, checked by reading each one):", ""]
        named = sponsors_in(allot)
        lines += [f"- {code}: {'; '.join(names)}" for code, names in named]
        lines += ["", f"{len(named)} of {len(list(allot.glob('*.pdf')))} announcements name their sponsors in a "
                  "sentence; the others print them only as logos (or not at all).", ""]
    total_t = sum(t for _, t in timings)
    slow = max(timings, key=lambda x: x[1]) if timings else ("-", 0.0)
    lines += [f"Time: {total_t:.2f} s for {len(files)} PDFs (slowest {slow[0]} {slow[1]:.2f} s).", ""]
    lines += ["Misses and disagreements:", ""] + (problems or ["- none"]) + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_formal_notice", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", nargs="?", default=str(DEFAULT_DIR))
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"no corpus at {folder}: nothing measured (the corpus is not part of the project)", file=sys.stderr)
        return 0
    text = run(folder)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
