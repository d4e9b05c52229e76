"""`hkipo parse-formal-notice`: what the parser reads from one formal notice, without a warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hkipo.app.commands._common import App, common_options
from hkipo.core.errors import UserError


@click.command("parse-formal-notice")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--code", default=None, help="HKEX code the notice is for (any spelling); checked against the PDF's.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@common_options
def parse_formal_notice(file: Path, code: str | None, as_json: bool, app: App) -> None:
    """Parse an HKEX formal notice PDF and print the offer's planned terms.

    Every field with its value, page and quote; fields the parser left empty
    say why. Nothing is written anywhere. Exit code 2 if FILE is not a PDF or
    not a formal notice (the reason names what it is: a prospectus, an
    allotment results announcement...).
    """
    from hkipo.extract.formal_notice import FIELD_NAMES, PARSER_VERSION, parse_formal_notice_pdf

    if not file.exists():
        raise UserError(f"no such file: {file}")
    r = parse_formal_notice_pdf(file, code=code, name=str(file))
    fields = {}
    for name in FIELD_NAMES:
        v = r.fields.get(name)
        if v is None:
            fields[name] = {"value": None, "why": r.notes.get(name, "not stated")}
        else:
            fields[name] = {"value": v.text if v.value is None or name in ("sponsors", "overall_coordinators")
                            else v.value, "unit": v.unit, "page": v.page, "quote": v.quote}
    fields["sponsors"]["names"] = r.sponsors
    fields["overall_coordinators"]["names"] = r.overall_coordinators
    if as_json:
        out = {"file": str(file), "hkex_code": r.hkex_code, "pages": r.pages, "language": r.language,
               "parser_version": PARSER_VERSION, "warnings": r.warnings, "fields": fields}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    click.echo(f"{file}: formal notice for {r.hkex_code} {r.name_en or ''} {r.name_zh or ''} "
               f"({r.pages} pages, {r.language})")
    for name, f in fields.items():
        if f["value"] is None:
            click.echo(f"  {name:<26} -            ({f['why']})")
        else:
            click.echo(f"  {name:<26} {f['value']!s:<20} p{f['page']}")
    for w in r.warnings:
        click.echo(f"  warning: {w}")
