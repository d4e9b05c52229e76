"""`hkipo parse-allotment`: what the parser reads from one announcement, without a warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hkipo.app.commands._common import App, common_options
from hkipo.core.errors import UserError


@click.command("parse-allotment")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--code", default=None,
              help="HKEX code the announcement is for (any spelling). Checked against the code the PDF states; "
                   "needed only when the PDF states none. One file only.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Parse this many files at once (processes).")
@common_options
def parse_allotment(files: tuple[Path, ...], code: str | None, jobs: int, app: App) -> None:
    """Parse HKEX allotment results PDFs and print their figures as JSON.

    One FILE: one indented object (stock code, pages, warnings, and every figure with its metric, value,
    unit, page and quote; cornerstone investors and allocation rows where they were checked). Several
    FILES: one JSON line per file, in the order given; a file that is not an allotment announcement gives
    {"file", "error"}. Figures that failed an arithmetic check are left out and named in "warnings"
    (also printed to stderr). Nothing is written anywhere; the hkex crawl uses the same parser. A post-listing
    over-allotment / stabilisation announcement is parsed by its own parser instead ("kind": "over_allotment",
    its outcome and claims with basis over_allotment). Exit code 2 if any FILE is not a PDF or neither kind.
    """
    if code and len(files) > 1:
        raise UserError("--code applies to one file; give one FILE with it")
    if len(files) == 1:
        out = _parse_one(str(files[0]), code)
        if "error" in out:
            raise UserError(out["error"])
        for w in out["warnings"]:
            click.echo(f"warning: {files[0]}: {w}", err=True)
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_parse_one, [str(f) for f in files], [None] * len(files)))
    else:
        results = [_parse_one(str(f), None) for f in files]
    failed = 0
    for out in results:
        failed += "error" in out
        click.echo(json.dumps(out, ensure_ascii=False))
    if failed:
        raise UserError(f"{failed} of {len(files)} files are not readable allotment results announcements")


def _parse_one(file: str, code: str | None) -> dict[str, object]:
    """One file's output object, or {"file", "error"} for a file the parser refuses (picklable for --jobs)."""
    from hkipo.extract.allotment import _KINDS, PARSER_VERSION, NotAnAllotment, parse_allotment_pdf

    path = Path(file)
    try:
        if not path.exists():
            raise UserError(f"no such file: {file}")
        result = parse_allotment_pdf(path, code=code, name=file)
    except NotAnAllotment as e:
        over = next(words for kind, words, _ in _KINDS if kind == "over_allotment")
        if f"this is {over}" in str(e):
            return _parse_over_allotment(file, code)
        return {"file": file, "error": str(e)}
    except UserError as e:
        return {"file": file, "error": str(e)}
    claims = []
    for c in result.claims:
        item: dict[str, object] = {"metric": c.metric, "value": c.value, "unit": c.unit}
        if c.metric == "allocation_band" and c.value_text:
            item["row"] = json.loads(c.value_text)
        elif c.value_text is not None:
            item["value_text"] = c.value_text
        item["page"] = c.page
        item["quote"] = c.quote
        claims.append(item)
    return {
        "file": file,
        "hkex_code": result.hkex_code,
        "stock_name": result.stock_name,
        "pages": result.pages,
        "languages": list(result.languages),
        "parser_version": PARSER_VERSION,
        "warnings": result.warnings,
        "claims": claims,
        "cornerstones": [{"investor": c.investor, "shares": c.shares, "share_of_offer": c.share_of_offer,
                          "lockup_expiry": c.lockup_expiry, "page": c.page} for c in result.cornerstones],
    }


def _parse_over_allotment(file: str, code: str | None) -> dict[str, object]:
    """A post-listing over-allotment / stabilisation announcement's output object (or its error)."""
    from hkipo.extract.over_allotment import PARSER_VERSION, parse_over_allotment_pdf

    try:
        result = parse_over_allotment_pdf(Path(file), code=code, name=file)
    except UserError as e:
        return {"file": file, "error": str(e)}
    return {
        "file": file,
        "kind": "over_allotment",
        "hkex_code": result.hkex_code,
        "outcome": result.outcome,
        "pages": result.pages,
        "parser_version": PARSER_VERSION,
        "warnings": result.warnings,
        "claims": [{"metric": c.metric, "value": c.value, "unit": c.unit, "basis": c.basis, "page": c.page,
                    "quote": c.quote} for c in result.claims],
    }
