"""crawl and ingest: Scrapy crawls in this process, and saved pages through the same pipeline."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from hkipo.app.commands._common import App, common_options
from hkipo.core.errors import UserError


@click.command()
@click.argument("spider", type=click.Choice(["news", "hkex"]))
@click.option("--cassette", type=click.Path(dir_okay=False), default=None,
              help="Replay this vcrpy cassette instead of the network (a missing request fails, exit 3).")
@click.option("--record", "record_to", type=click.Path(dir_okay=False), default=None,
              help="Fetch live and write every HTTP exchange to this cassette.")
@click.option("--code", "codes", multiple=True, help="Only this watchlist code (repeatable).")
@common_options
def crawl(app: App, spider: str, cassette: str | None, record_to: str | None, codes: tuple[str, ...]) -> None:
    """Run the news or hkex crawl in this process and record the run.

    \b
    Examples:
      hkipo crawl news --cassette cassettes/news.yaml --db /tmp/replay.duckdb
      hkipo crawl news                      # live: the feeds in [news]
      hkipo crawl news --record /tmp/news.yaml
    """
    from hkipo.app.jobs import run_job
    from hkipo.core.context import JobContext

    if cassette and record_to:
        raise click.UsageError("--cassette (replay) and --record (live) exclude each other")
    if cassette and not Path(cassette).is_file():
        raise UserError(f"cassette not found: {cassette}")
    for c in codes:
        app.config.security(c)
    ctx = JobContext(config=app.config, db_path=app.db_path, cassette=Path(cassette) if cassette else None,
                     record=Path(record_to) if record_to else None, codes=tuple(codes))
    run = run_job(spider, ctx)
    click.echo(f"{spider}: {run.status}, {run.rows_written} rows written "
               f"({ctx.source_label}) into {app.db_path}")
    for message in run.warnings[:20]:
        click.echo(f"  warning: {message[:200]}")
    for message in run.errors[:20]:
        click.echo(f"  error: {message[:200]}", err=True)
    if run.status != "ok":
        sys.exit(1)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--url", default=None,
              help="Where the page was published (one PATH only). Default: the page's 'saved from' mark, "
                   "rel=canonical or og:url.")
@click.option("--site", default=None, help="Outlet name (default: what the page says, else its domain).")
@common_options
def ingest(app: App, paths: tuple[str, ...], url: str | None, site: str | None) -> None:
    """Run saved HTML pages through article extraction, tagging, de-duplication and claims.

    The same code path as a crawled page; the run is recorded as job "ingest".

    \b
    Examples:
      hkipo ingest ~/Downloads/minimax-debut.html
      hkipo ingest saved.html --url https://www.example.com/news/123 --site "Example News"
    """
    from pipelines.articles import load_articles, prepare
    from hkipo.core.urls import canonical_url
    from pipelines.runs import begin_run
    from pipelines.runs import end_run
    from hkipo.core.items import ArticleItem
    from hkipo.extract.article import extract_article, not_a_page, original_url, web_url

    from hkipo.core.context import JobContext

    if url and len(paths) > 1:
        raise click.UsageError("--url names one page; give one PATH with it")
    if url and web_url(url) is None:
        raise click.BadParameter(f"expected an http(s) URL, got {url!r}", param_hint="--url")
    pages: list[tuple[str, ArticleItem | str]] = []  # each path's item, or why it is no page
    now = dt.datetime.now(dt.timezone.utc)
    for p in paths:
        path = Path(p)
        try:
            body = path.read_bytes()
        except OSError as e:
            raise UserError(f"cannot read {path}: {e.strerror}") from None
        kind = not_a_page(body)
        if kind:  # as the spider skips a response that is not text
            pages.append((p, f"not a web page ({kind})"))
            continue
        page_url = url or original_url(body) or path.resolve().as_uri()
        article = extract_article(body, page_url, None, site=site)
        seen = tuple(dict.fromkeys((canonical_url(page_url), article.url)))
        pages.append((p, ArticleItem(article=article, via_feed="ingest", seen_urls=seen, fetched_at=now)))
    items = [item for _, item in pages if not isinstance(item, str)]

    ctx = JobContext(config=app.config, db_path=app.db_path)
    securities = ctx.securities()
    run = begin_run(ctx, "ingest")
    try:
        for p, item in pages:
            out = item if isinstance(item, str) else prepare(
                item, securities, min_text_chars=app.config.news.min_text_chars, watchlist=app.config.watchlist)
            if isinstance(out, str):
                run.warn(f"{p}: not stored: {out}")
                click.echo(f"{p}: not stored: {out}")
                continue
            a = item.article
            when = a.published_at.isoformat() if a.published_at else "unknown time"
            about = ", ".join(m.hkex_code for m in out.mentions)
            click.echo(f"{p}: {a.script or '?'} | {a.site} | {when}{' (HK time assumed)' if a.tz_assumed else ''} "
                       f"| about {about} | {a.title[:60]}")
        result = load_articles(ctx, run, items, securities)
    except BaseException as e:
        run.fail(f"{type(e).__name__}: {e}")
        end_run(ctx, run)
        raise
    end_run(ctx, run)
    click.echo(f"ingest: {result.new} new, {result.refreshed} re-read, {result.copies} copies of stored stories; "
               f"{run.rows_written} rows written into {app.db_path}")
    if run.status != "ok":
        sys.exit(1)
