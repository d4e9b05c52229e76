"""`hkipo parse-allotment`: what the parser reads from one announcement, without a warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hkipo.app.commands._common import App, common_options
from hkipo.core.errors import UserError


@click.command("parse-allotment")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--code", default=None,
              help="HKEX code the announcement is for (any spelling). Checked against the code the PDF states; "
                   "needed only when the PDF states none.")
@common_options
def parse_allotment(file: Path, code: str | None, app: App) -> None:
    """Parse an HKEX allotment results PDF and print its figures as JSON.

    Prints one object: the stock code, the pages, and every figure with its
    metric, value, unit, page and quote. Nothing is written anywhere; the hkex
    crawl uses the same parser. Exit code 2 if FILE is not a PDF or not an
    allotment results announcement.
    """
    from hkipo.extract.allotment import PARSER_VERSION, parse_allotment_pdf

    if not file.exists():
        raise UserError(f"no such file: {file}")
    result = parse_allotment_pdf(file, code=code, name=str(file))
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
    out = {
        "file": str(file),
        "hkex_code": result.hkex_code,
        "stock_name": result.stock_name,
        "pages": result.pages,
        "languages": list(result.languages),
        "parser_version": PARSER_VERSION,
        "warnings": result.warnings,
        "claims": claims,
    }
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))
