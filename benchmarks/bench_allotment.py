"""Accuracy and speed of the allotment parser on a folder of real announcements (not a CI test).

    python -m benchmarks.bench_allotment --corpus ../shared/corpus/hkex \\
        --checked benchmarks/data/allotment_checked.json --out benchmarks/results/allotment.md

For every PDF in CORPUS/allotment/ the parser's figures are compared with
the peer's table (CORPUS/peer_figures.csv: offer price, public and
international multiples, one-lot rate, rounded to one decimal as the peer
writes them) and with figures we checked by reading the PDFs ourselves
(--checked, JSON: {code: {metric: value}}). Per field: agree / missing /
WRONG, and every disagreement with page and quote. Where the hand-checked
figure agrees with us and not with the peer, the peer is marked wrong.

Also the documents that must be refused (CORPUS/over-allotment/,
CORPUS/formal-notice/), and time per file: the whole parse vs pypdfium2's
bare text extraction of the same file, side by side.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

from hkipo.core.errors import UserError
from hkipo.extract.allotment import parse_allotment_pdf

# peer column -> (our metric, how to turn our value into the peer's unit)
PEER_FIELDS = {
    "发行价": ("offer_price", 1.0),
    "公开发售超购倍数": ("public_subscription_multiple", 1.0),
    "配售超购倍数": ("international_subscription_multiple", 1.0),
    "中签率": ("one_lot_success_rate", 100.0),
}


def _peer_value(text: str) -> float | None:
    t = text.strip().rstrip("%倍").replace(",", "")
    try:
        return float(t)
    except ValueError:
        return None


def _bare_text_seconds(path: Path) -> float:
    import pypdfium2 as pdfium

    t = time.process_time()
    doc = pdfium.PdfDocument(str(path))
    for page in doc:
        page.get_textpage().get_text_range()
    return time.process_time() - t


def _same(ref: float, ours: float) -> bool:
    """Hand-checked figures are written as the PDF prints them (fractions to 6 places)."""
    return abs(ref - ours) <= max(1e-6, 1e-9 * abs(ref))


def _close(ours: float, theirs: float, *, decimals: int) -> bool:
    """The peer rounds half up to `decimals` places: ours agrees when it rounds to theirs."""
    return abs(ours - theirs) <= 0.5 * 10 ** (-decimals) + 1e-6


def run(corpus: Path, checked: dict[str, dict[str, float]], runs: int = 1) -> str:
    peer: dict[str, dict[str, str]] = {}
    with open(corpus / "peer_figures.csv", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            peer[row["代码"].zfill(5)] = row
    files = sorted((corpus / "allotment").glob("*.pdf"))
    stats: dict[str, dict[str, int]] = {}
    lines_wrong: list[str] = []
    lines_missing: list[str] = []
    peer_wrong: list[str] = []
    times: list[tuple[str, float, float]] = []
    refused_wrongly: list[str] = []
    checked_stats: dict[str, dict[str, int]] = {}
    coverage: dict[str, int] = {}
    n_warned = 0

    def tally(table: dict[str, dict[str, int]], field: str, outcome: str) -> None:
        table.setdefault(field, {"agree": 0, "missing": 0, "WRONG": 0, "peer wrong": 0})[outcome] += 1

    for f in files:
        code = f.stem
        bare = min(_bare_text_seconds(f) for _ in range(runs))
        t = time.process_time()
        try:
            result = parse_allotment_pdf(f)
        except UserError as e:
            refused_wrongly.append(f"{code}: {e}")
            continue
        parse = time.process_time() - t
        for _ in range(runs - 1):
            t = time.process_time()
            parse_allotment_pdf(f)
            parse = min(parse, time.process_time() - t)
        times.append((code, bare, parse))
        got = result.by_metric()
        for metric in got:
            coverage[metric] = coverage.get(metric, 0) + 1
        coverage["(cornerstone rows)"] = coverage.get("(cornerstone rows)", 0) + bool(result.cornerstones)
        coverage["(allocation rows)"] = coverage.get("(allocation rows)", 0) + bool(result.allocation)
        n_warned += bool(result.warnings)
        hand = checked.get(code, {})
        for col, (metric, scale) in PEER_FIELDS.items():
            theirs = _peer_value(peer.get(code, {}).get(col, ""))
            if theirs is None:
                continue
            claim = got.get(metric)
            if claim is None or claim.value is None:
                tally(stats, metric, "missing")
                lines_missing.append(f"{code} {metric}: peer {theirs:g}")
                continue
            ours = claim.value * scale
            if _close(ours, theirs, decimals=1):
                tally(stats, metric, "agree")
                continue
            ref = hand.get(metric)
            if ref is not None and _same(ref, claim.value):
                tally(stats, metric, "peer wrong")
                peer_wrong.append(f"{code} {metric}: peer {theirs:g}, PDF (checked by hand) and we {ours:g} — "
                                  f"p.{claim.page}: “{claim.quote[:120]}”")
            else:
                tally(stats, metric, "WRONG")
                lines_wrong.append(f"{code} {metric}: peer {theirs:g}, we {ours:g} — p.{claim.page}: "
                                   f"“{claim.quote[:120]}”")
        for metric, ref in hand.items():
            claim = got.get(metric)
            if claim is None or claim.value is None:
                tally(checked_stats, metric, "missing")
            elif _same(ref, claim.value):
                tally(checked_stats, metric, "agree")
            else:
                tally(checked_stats, metric, "WRONG")
                lines_wrong.append(f"{code} {metric}: checked by hand {ref:g}, we {claim.value:g} — p.{claim.page}: "
                                   f"“{claim.quote[:120]}”")

    refused: dict[str, list[str]] = {}
    accepted_wrongly: list[str] = []
    for folder in ("over-allotment", "formal-notice"):
        for f in sorted((corpus / folder).glob("*.pdf")):
            try:
                parse_allotment_pdf(f)
                accepted_wrongly.append(f"{folder}/{f.name}")
            except UserError as e:
                refused.setdefault(folder, []).append(str(e).split(": ", 1)[-1])

    out = ["## Allotment results parser: accuracy and speed on real announcements", "",
           f"Corpus: {len(files)} allotment results announcements, "
           f"{sum(len(v) for v in refused.values()) + len(accepted_wrongly)} other documents that must be refused.",
           "", "### Against the peer's table (rounded to one decimal as the peer writes them)", "",
           "| field | agree | peer wrong (PDF checked) | missing | WRONG |", "|---|---:|---:|---:|---:|"]
    for metric, s in stats.items():
        out.append(f"| {metric} | {s['agree']} | {s['peer wrong']} | {s['missing']} | {s['WRONG']} |")
    tot = {k: sum(s[k] for s in stats.values()) for k in ("agree", "peer wrong", "missing", "WRONG")}
    n = sum(tot.values())
    out.append(f"| **all** | {tot['agree']} | {tot['peer wrong']} | {tot['missing']} | {tot['WRONG']} |")
    if n:
        out += ["", f"Agree or shown to be the peer's error: {(tot['agree'] + tot['peer wrong']) / n:.1%} of {n} "
                    f"figures; missing {tot['missing'] / n:.1%}; disagreeing {tot['WRONG'] / n:.1%}."]
    if checked_stats:
        out += ["", "### Against figures checked by hand in the PDFs", "",
                "| field | agree | missing | WRONG |", "|---|---:|---:|---:|"]
        for metric, s in sorted(checked_stats.items()):
            out.append(f"| {metric} | {s['agree']} | {s['missing']} | {s['WRONG']} |")
    out += ["", f"### Coverage: files (of {len(times)} parsed) with each figure after the checks", "",
            "| figure | files |", "|---|---:|"] + [f"| {m} | {n} |" for m, n in sorted(coverage.items())]
    out += ["", f"Files with at least one warning (a figure dropped by a check, or two statements that differ): "
                f"{n_warned}."]
    out += ["", "### Documents", "",
            f"- allotment announcements refused: {len(refused_wrongly)}" + "".join(f"\n  - {x}" for x in refused_wrongly),
            f"- other documents accepted as allotment results: {len(accepted_wrongly)}"
            + "".join(f"\n  - {x}" for x in accepted_wrongly)]
    for folder, reasons in refused.items():
        kinds: dict[str, int] = {}
        for r in reasons:
            kinds[r] = kinds.get(r, 0) + 1
        out.append(f"- {folder}/: {len(reasons)} refused — " + "; ".join(f"{k} ×{v}" for k, v in kinds.items()))
    if times:
        bare = [b for _, b, _ in times]
        parse = [p for _, _, p in times]
        ratios = [p / b for _, b, p in times if b > 0]
        slow = max(times, key=lambda x: x[2])
        out += ["", "### Speed (seconds per file)", "",
                "| | median | max | total |", "|---|---:|---:|---:|",
                f"| pypdfium2 bare text | {statistics.median(bare):.3f} | {max(bare):.3f} | {sum(bare):.2f} |",
                f"| parse (text, geometry, fields, checks) | {statistics.median(parse):.3f} | {max(parse):.3f} | "
                f"{sum(parse):.2f} |",
                "", f"Parse / bare ratio: median {statistics.median(ratios):.2f}×, max {max(ratios):.2f}× "
                    f"(slowest file {slow[0]}: {slow[2]:.2f} s vs {slow[1]:.2f} s)."]
    for title, items in (("Disagreements (ours WRONG or unresolved)", lines_wrong),
                         ("Peer wrong (PDF checked by hand)", peer_wrong), ("Missing", lines_missing)):
        out += ["", f"### {title}", ""] + ([f"- {x}" for x in items] or ["- none"])
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--checked", type=Path, default=None, help="JSON {code: {metric: value}} checked by hand")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args(argv)
    if not (args.corpus / "allotment").is_dir() or not (args.corpus / "peer_figures.csv").is_file():
        print(f"error: {args.corpus} has no allotment/ folder and peer_figures.csv", file=sys.stderr)
        return 2
    checked = json.loads(args.checked.read_text(encoding="utf-8")) if args.checked else {}
    checked = {k: v for k, v in checked.items() if not k.startswith("_")}
    from benchmarks.machine import describe

    report = run(args.corpus, checked, runs=args.runs)
    report += "\n### Machine\n\n" + describe(Path(__file__).resolve().parent.parent).markdown() + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
