"""Articles into the warehouse: tagging, de-duplication and claims, one transaction per batch.

Table contracts (what each load does and why):

- `articles` — merge on `article_id`. One row per story. A new story's id is
  a hash of its first fingerprint and its `canonical_url` is the copy stored
  first (in a batch, the earliest published). Only a re-fetch of that same
  page updates the row (an edited article); a syndicated copy never
  overwrites it, so copies cannot make the row flip between versions.
- `article_urls` — merge on `url`, first write wins. Every canonical URL that
  led to a story: aggregator links, redirect hops, each syndicated copy.
- `article_mentions` — synced per article written: the securities the story
  is about (`hkipo.extract.mentions.tag_article`), and how each was matched.
- `claims` — synced per article written (what `warehouse.claims.write_claims`
  does per source, for the whole batch in one statement), in the same
  transaction.

A page is the same story as a stored one when a URL that led to it is
already in `article_urls`, or when its fingerprint is a near duplicate
(hkipo/extract/dedupe.py) *and* it is about the same securities with figures
that agree (`dedupe.same_story`): a template twin about another company, or
with other figures, is a story of its own. A copy's claims that the kept
copy does not state are kept too, under the story's id with the copy's URL
as `source_url` (claim ids hashed with that URL), so nothing a copy says is
lost; a story's own re-fetch replaces only its own page's claims. Pages too short to be articles, and pages about no
watchlist security, are counted and not stored. Unchanged rows are not
touched, so a re-crawl of the same pages writes 0 rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import pickle
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from hkipo.core.config import Security
from hkipo.extract.claims import EXTRACTOR_VERSION as CLAIMS_EXTRACTOR_VERSION
from hkipo.core.items import Claim
from hkipo.extract.claims import extract_claims
from hkipo.extract.claims.entities import names_in
from warehouse.claims import claims_table
from hkipo.extract.dedupe import (
    BANDS,
    DUPLICATE_SIMILARITY,
    FINGERPRINT_LENGTH,
    ROWS_PER_BAND,
    HEX_PER_HASH,
    Fingerprints,
    StoryFacts,
    article_id,
    bands,
    fingerprint,
    same_story,
    story_facts,
)
from hkipo.extract.mentions import ArticleMention, tag_article
from hkipo.core.textnorm import fold
from hkipo.core.items import ArticleItem
from hkipo.extract.article import EXTRACTOR_VERSION
from pipelines.runs import write as store
from warehouse.load import merge, sync_scope

log = logging.getLogger(__name__)

UTC_TS = pa.timestamp("us", tz="UTC")
ARTICLES = pa.schema([
    ("article_id", pa.string()), ("canonical_url", pa.string()), ("title", pa.string()), ("site", pa.string()),
    ("published_at", UTC_TS), ("language", pa.string()), ("script", pa.string()), ("text", pa.string()),
    ("fingerprint", pa.string()), ("extractor_version", pa.string()), ("fetched_at", UTC_TS),
])
ARTICLE_URLS = pa.schema([
    ("url", pa.string()), ("article_id", pa.string()), ("site", pa.string()), ("via_feed", pa.string()),
    ("first_seen_at", UTC_TS),
])
MENTIONS = pa.schema([
    ("article_id", pa.string()), ("hkex_code", pa.string()), ("methods", pa.list_(pa.string())),
    ("mentions", pa.int32()), ("in_title", pa.bool_()), ("score", pa.float64()),
])
_LATEST = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Prepared:
    """An article page with everything computed that needs no database."""

    item: ArticleItem
    fingerprint: str
    mentions: tuple[ArticleMention, ...]
    claims: tuple[Claim, ...]
    facts: StoryFacts | None = None  # None: unknown, the fingerprint alone decides (benchmarks' synthetic pages)
    dropped: tuple[tuple[str, int], ...] = ()  # IPO figures the claim extractor left out, by reason

    @property
    def urls(self) -> tuple[str, ...]:
        return self.item.seen_urls


@dataclass
class BatchResult:
    rows: int = 0
    new: int = 0  # stories stored for the first time
    refreshed: int = 0  # stories re-fetched from their own page
    copies: int = 0  # pages recorded as another URL of a stored story
    skipped: Counter = field(default_factory=Counter)  # reason -> pages not stored
    figures_left_out: Counter = field(default_factory=Counter)  # reason -> figures not made claims


def prepare(item: ArticleItem, securities: Sequence[Security], *, min_text_chars: int,
            watchlist: Sequence[Security] | None = None, others: Sequence[str] = ()) -> Prepared | str:
    """Tag, fingerprint and extract claims; or the reason the page is not stored.

    `securities` are those this run is about (`--code`); claims are extracted
    against the whole `watchlist` (default: `securities`), because the claim
    extractor attributes each sentence to the security it names and must see
    every security to do so; `others` are the names of every other security
    hkipo knows (`known_issuer_names`), which take figures away from it.
    """
    a = item.article
    if len(a.text) < min_text_chars:
        return "too little text to be an article"
    folded = fold(a.text)  # once: the tagger and the fingerprint both read the folded text
    mentions = tag_article(a.title, a.text, securities, folded_text=folded)
    if not mentions:
        return "not about any watchlist security"
    dropped: Counter = Counter()
    claims = extract_claims(a.text, watchlist or securities, published_at=a.published_at, others=others,
                            dropped=dropped)
    facts = story_facts(a.title, a.text, watchlist or securities)
    return Prepared(item, fingerprint(a.text, folded=folded), tuple(mentions), tuple(claims), facts,
                    tuple(sorted(dropped.items())))


def _copies(a: StoryFacts | None, b: StoryFacts | None) -> bool:
    return a is None or b is None or same_story(a, b)


def known_issuer_names(ctx, watchlist: Sequence[Security]) -> tuple[str, ...]:  # noqa: ANN001 - JobContext
    """Names of every security in the warehouse that is not on the watchlist (discovered listings too).

    An empty or missing warehouse has none: the shipped list of well-known
    issuers still applies (hkipo/extract/claims/issuers.txt).
    """
    from warehouse import db

    if not ctx.db_path.exists():
        return ()
    tracked = sorted({s.code for s in watchlist})
    rows: list[tuple] = []
    with db.reader(ctx.db_path, lock_timeout=ctx.config.database.lock_timeout_seconds) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "securities" in tables:
            rows += con.execute(
                "SELECT name_en, name_zh_hans, name_zh_hant, aliases FROM securities "
                "WHERE hkex_code NOT IN (SELECT unnest(?::VARCHAR[]))", [tracked]).fetchall()
        if "listings" in tables:  # discovery's own record of market-wide listings (migration 0004)
            rows += con.execute("SELECT name_en, name_zh, NULL, NULL FROM listings "
                                "WHERE hkex_code NOT IN (SELECT unnest(?::VARCHAR[]))", [tracked]).fetchall()
    return names_in((en, hans, hant, *(aliases or ())) for en, hans, hant, aliases in rows)


def known_article_urls(ctx) -> set[str]:  # noqa: ANN001 - hkipo.app.jobs.JobContext
    """Every URL already recorded as leading to a stored story (the spider skips them)."""
    from warehouse import db

    with db.reader(ctx.db_path, lock_timeout=ctx.config.database.lock_timeout_seconds) as con:
        return {r[0] for r in con.execute("SELECT url FROM article_urls").fetchall()}


def _group(batch: Sequence[Prepared]) -> list[list[Prepared]]:
    """Copies within a batch, earliest published first (the group's representative)."""
    ordered = sorted(batch, key=lambda p: (p.item.article.published_at or _LATEST, p.item.article.url))
    fps = Fingerprints([p.fingerprint for p in ordered])
    groups: list[list[Prepared]] = []
    firsts: list[int] = []  # index in `ordered` of each group's first page
    first_group_of_url: dict[str, int] = {}  # the first group any of whose pages had the URL
    for i, p in enumerate(ordered):
        # The first group that shares a URL with p or whose first page p nearly duplicates.
        by_url = min((first_group_of_url[u] for u in p.urls if u in first_group_of_url), default=len(groups))
        close = [int(c) for c in np.flatnonzero(
            fps.similarity(np.array(firsts, dtype=np.intp), fps, i) >= DUPLICATE_SIMILARITY)
            if _copies(ordered[firsts[c]].facts, p.facts)]
        g = min(by_url, close[0] if close else len(groups))
        if g == len(groups):
            groups.append([])
            firsts.append(i)
        groups[g].append(p)
        for u in p.urls:
            first_group_of_url[u] = min(g, first_group_of_url.get(u, g))
    return groups


def _stored_near_duplicates(con: duckdb.DuckDBPyConnection, wanted: dict[int, str],
                            facts: dict[int, StoryFacts | None] | None = None,
                            watchlist: Sequence[Security] = ()) -> dict[int, str]:
    """For each fingerprint, the stored story it is a copy of (LSH bands, then the estimate, then the facts).

    A stored story whose wording is close but whose securities or figures
    differ (`same_story`) is not a match: the page is a story of its own.
    """
    if not wanted:
        return {}
    keys, band_no, band_hash = [], [], []
    for key, fp in wanted.items():
        for b, h in enumerate(bands(fp)):
            keys.append(key)
            band_no.append(b)
            band_hash.append(h)
    probe = pa.table({"k": pa.array(keys, pa.int32()), "band": pa.array(band_no, pa.int32()),
                      "band_hash": pa.array(band_hash, pa.string())})
    width = ROWS_PER_BAND * HEX_PER_HASH
    con.register("_fingerprint_probe", probe)
    try:
        rows = con.execute(
            f"""
            WITH stored AS (
                SELECT a.article_id, a.fingerprint, b.band::INTEGER AS band,
                       substr(a.fingerprint, b.band * {width} + 1, {width}) AS band_hash
                FROM articles a CROSS JOIN range({BANDS}) AS b(band)
                WHERE length(a.fingerprint) = {FINGERPRINT_LENGTH}
            )
            SELECT DISTINCT p.k, s.article_id, s.fingerprint
            FROM stored s JOIN _fingerprint_probe p ON s.band = p.band AND s.band_hash = p.band_hash
            """
        ).fetchall()
    finally:
        con.unregister("_fingerprint_probe")
    if not rows:
        return {}
    keys_list = list(wanted)
    row_of_key = {key: n for n, key in enumerate(keys_list)}
    scores = Fingerprints([wanted[k] for k in keys_list]).similarity(
        np.array([row_of_key[r[0]] for r in rows], dtype=np.intp), Fingerprints([r[2] for r in rows]),
        np.arange(len(rows)))
    close = [(rows[n][0], float(scores[n]), rows[n][1]) for n in np.flatnonzero(scores >= DUPLICATE_SIMILARITY)]
    stored_facts = _stored_facts(con, sorted({aid for key, _, aid in close if (facts or {}).get(key) is not None}),
                                 watchlist)
    best: dict[int, tuple[float, str]] = {}
    for key, score, aid in close:
        mine = (facts or {}).get(key)
        if mine is not None and aid in stored_facts and not same_story(mine, stored_facts[aid]):
            continue
        if key not in best or (score, aid) > best[key]:
            best[key] = (score, aid)
    return {key: aid for key, (_, aid) in best.items()}


def _stored_facts(con: duckdb.DuckDBPyConnection, ids: list[str], watchlist: Sequence[Security]) -> dict[str, StoryFacts]:
    """`story_facts` of stored stories, from their stored title and text."""
    if not ids:
        return {}
    got = con.execute("SELECT article_id, title, text FROM articles WHERE article_id IN (SELECT unnest(?::VARCHAR[]))",
                      [ids]).fetchall()
    return {aid: story_facts(title or "", text or "", watchlist) for aid, title, text in got}


def _article_row(aid: str, p: Prepared) -> dict:
    a = p.item.article
    return {"article_id": aid, "canonical_url": a.url, "title": a.title, "site": a.site,
            "published_at": a.published_at, "language": a.language, "script": a.script, "text": a.text,
            "fingerprint": p.fingerprint, "extractor_version": EXTRACTOR_VERSION, "fetched_at": p.item.fetched_at}


def _table(rows: Iterable[dict], schema: pa.Schema) -> pa.Table:
    rows = list(rows)
    return pa.table({f.name: pa.array([r[f.name] for r in rows], type=f.type) for f in schema}, schema=schema)


def store_batch(con: duckdb.DuckDBPyConnection, batch: Sequence[Prepared], *,
                watchlist: Sequence[Security] = ()) -> BatchResult:
    """Write one batch (call inside a transaction); unchanged rows are left alone.

    `watchlist`: the securities the pages' `facts` were computed against, so a
    stored story's facts are computed the same way.
    """
    result = BatchResult()
    if not batch:
        return result
    groups = _group(batch)
    all_urls = sorted({u for p in batch for u in p.urls})
    by_url = dict(con.execute(
        "SELECT url, article_id FROM article_urls WHERE url IN (SELECT unnest(?::VARCHAR[]))", [all_urls]
    ).fetchall())
    ids: list[str | None] = [next((by_url[u] for p in g for u in p.urls if u in by_url), None) for g in groups]
    unmatched = [i for i in range(len(groups)) if ids[i] is None]
    near = _stored_near_duplicates(con, {i: groups[i][0].fingerprint for i in unmatched},
                                   {i: groups[i][0].facts for i in unmatched}, watchlist)
    ids = [aid or near.get(i) for i, aid in enumerate(ids)]
    existing = [aid for aid in ids if aid]
    canonical = dict(con.execute(
        "SELECT article_id, canonical_url FROM articles WHERE article_id IN (SELECT unnest(?::VARCHAR[]))",
        [existing]).fetchall()) if existing else {}

    written: dict[str, Prepared] = {}
    copies: list[tuple[str, Prepared, Prepared | None]] = []  # (story id, copy page, the story's page in this batch)
    url_rows: list[dict] = []
    for g, aid in zip(groups, ids, strict=True):
        if aid is None or aid not in canonical:
            aid = article_id(g[0].fingerprint)
            written[aid] = g[0]
            result.new += 1
            result.copies += len(g) - 1
            copies += [(aid, p, g[0]) for p in g[1:] if p.item.article.url != g[0].item.article.url]
        else:
            own = next((p for p in g if canonical[aid] in p.urls), None)
            if own is not None:
                written[aid] = own
                result.refreshed += 1
            result.copies += len(g) - (own is not None)
            copies += [(aid, p, own) for p in g if p is not own and p.item.article.url != canonical[aid]
                       and (own is None or p.item.article.url != own.item.article.url)]
        for p in g:
            for url in p.urls:
                url_rows.append({"url": url, "article_id": aid, "site": p.item.article.site,
                                 "via_feed": p.item.via_feed, "first_seen_at": p.item.fetched_at})

    n = merge(con, "articles", _table((_article_row(aid, p) for aid, p in written.items()), ARTICLES),
              ["article_id"])
    n += merge(con, "article_urls", _table(url_rows, ARTICLE_URLS), ["url"], update=False)
    if written:
        mention_rows = [{"article_id": aid, "hkex_code": m.hkex_code, "methods": list(m.methods),
                         "mentions": m.mentions, "in_title": m.in_title, "score": m.score}
                        for aid, p in written.items() for m in p.mentions]
        n += sync_scope(con, "article_mentions", _table(mention_rows, MENTIONS), ["article_id", "hkex_code"],
                        scope_sql="article_id IN (SELECT unnest(?::VARCHAR[]))", params=[sorted(written)])
        n += write_article_claims(con, {aid: p for aid, p in written.items()})
    n += write_copy_claims(con, copies)
    result.rows = n
    return result


def _claim_key(c: Claim) -> tuple:
    return (c.hkex_code, c.metric, c.value, c.value_text, c.unit, c.basis, c.qualifier, c.as_of)


def write_copy_claims(con: duckdb.DuckDBPyConnection, copies: Sequence[tuple[str, Prepared, Prepared | None]]) -> int:
    """Claims a syndicated copy states that its story does not: stored under the story with the copy's URL.

    What the story states is its page's claims when that page is in the batch,
    else its stored claims from its own page. Each copy's set is synced on
    (story, copy URL), so re-reading a copy replaces only what it added.
    """
    if not copies:
        return 0
    need_stored = sorted({aid for aid, _, own in copies if own is None})
    stated: dict[str, set[tuple]] = {aid: set() for aid, _, _ in copies}
    for aid, _, own in copies:
        if own is not None:
            stated[aid] |= {_claim_key(c) for c in own.claims}
    if need_stored:
        for row in con.execute(
                "SELECT c.source_id, c.hkex_code, c.metric, c.value, c.value_text, c.unit, c.basis, c.qualifier, c.as_of "
                "FROM claims c JOIN articles a ON a.article_id = c.source_id "
                "WHERE c.source_kind = 'article' AND c.source_id IN (SELECT unnest(?::VARCHAR[])) "
                "AND c.source_url IS NOT DISTINCT FROM a.canonical_url", [need_stored]).fetchall():
            stated[row[0]].add(tuple(row[1:]))
    tables, scopes = [], []
    for aid, p, _ in copies:
        url = p.item.article.url
        extra = [c for c in p.claims if _claim_key(c) not in stated[aid]]
        scopes.append(f"{aid} {url}")
        if extra:
            t = claims_table(extra, source_kind="article", source_id=f"{aid} {url}", source_url=url,
                             extractor_version=CLAIMS_EXTRACTOR_VERSION)
            tables.append(t.set_column(t.schema.get_field_index("source_id"), "source_id",
                                       pa.array([aid] * t.num_rows, pa.string())))
    data = pa.concat_tables(tables) if tables else claims_table([], source_kind="article", source_id="", source_url=None,
                                                                extractor_version=CLAIMS_EXTRACTOR_VERSION)
    return sync_scope(con, "claims", data, ["claim_id"],
                      scope_sql="source_kind = 'article' AND source_id || ' ' || coalesce(source_url, '') "
                                "IN (SELECT unnest(?::VARCHAR[]))", params=[sorted(set(scopes))])


def write_article_claims(con: duckdb.DuckDBPyConnection, written: dict[str, Prepared]) -> int:
    """`write_claims` for every article of the batch at once: one MERGE and one DELETE.

    Per source this is exactly `write_claims` (the stored claims of each
    article become exactly its extracted ones; claim ids include the source,
    so sources cannot collide); called once per article it cost ~20 ms each,
    the largest part of a batch's write.
    """
    tables = [claims_table(p.claims, source_kind="article", source_id=aid, source_url=p.item.article.url,
                           extractor_version=CLAIMS_EXTRACTOR_VERSION) for aid, p in sorted(written.items())]
    if not tables:
        return 0
    return sync_scope(con, "claims", pa.concat_tables(tables), ["claim_id"],
                      scope_sql="source_kind = 'article' AND source_id || ' ' || coalesce(source_url, '') "
                                "IN (SELECT unnest(?::VARCHAR[]))",
                      params=[sorted(f"{aid} {p.item.article.url}" for aid, p in written.items())])


def prepare_batch(items: Sequence[ArticleItem], securities: Sequence[Security], *, min_text_chars: int,
                  watchlist: Sequence[Security], others: Sequence[str] = ()) -> tuple[list[Prepared], Counter]:
    """`prepare` each page: the pages to store, and how many were not stored for which reason."""
    prepared: list[Prepared] = []
    skipped: Counter = Counter()
    for item in items:
        out = prepare(item, securities, min_text_chars=min_text_chars, watchlist=watchlist, others=others)
        if isinstance(out, str):
            skipped[out] += 1
            log.debug("not stored (%s): %s", out, item.article.fetched_url)
        else:
            prepared.append(out)
    return prepared, skipped


_worker_context: dict[str, tuple] = {}


def worker_context(ctx, securities: Sequence[Security]) -> bytes:  # noqa: ANN001 - JobContext
    """What `prepare_item` needs besides the page, pickled once per crawl (reads the warehouse: not on a reactor)."""
    watchlist = tuple(ctx.config.watchlist)
    return pickle.dumps((tuple(securities), watchlist, ctx.config.news.min_text_chars,
                         known_issuer_names(ctx, watchlist)))


def prepare_item(item: ArticleItem, key: str, context: bytes) -> Prepared | str:
    """`prepare` in a worker process; `context` (`worker_context`) is unpickled once per worker
    and crawl (`key`), not once per page."""
    if key not in _worker_context:
        _worker_context.clear()
        _worker_context[key] = pickle.loads(context)
    securities, watchlist, min_text_chars, others = _worker_context[key]
    out = prepare(item, securities, min_text_chars=min_text_chars, watchlist=watchlist, others=others)
    # The caller has the page: do not send its text back (`with_item` puts it back).
    return out if isinstance(out, str) else dataclasses.replace(out, item=None)


def with_item(prepared: Prepared, item: ArticleItem) -> Prepared:
    """A `prepare_item` result with its page again."""
    return prepared if prepared.item is not None else dataclasses.replace(prepared, item=item)


def store_prepared(ctx, run, prepared: Sequence[Prepared], skipped: Counter, pages: int) -> BatchResult:  # noqa: ANN001
    """Store prepared pages in one transaction (`pipelines.runs.write`) and log the batch."""
    holder: list[BatchResult] = []

    def write(con: duckdb.DuckDBPyConnection) -> int:
        holder.append(store_batch(con, prepared, watchlist=ctx.config.watchlist))
        return holder[0].rows

    if prepared:
        store(ctx, run, write)
    result = holder[0] if holder else BatchResult()
    result.skipped = skipped
    for p in prepared:
        result.figures_left_out.update(dict(p.dropped))
    # Nothing left out silently: pages not stored and figures not made claims are on the run record.
    for reason, count in sorted(skipped.items()):
        run.warn(f"articles: {count} page(s) not stored: {reason}")
    for reason, count in sorted(result.figures_left_out.items()):
        run.warn(f"articles: {count} figure(s) left out: {reason}")
    log.info("articles: %d pages -> %d new, %d re-fetched, %d copies of stored stories, %d not stored%s; %d rows",
             pages, result.new, result.refreshed, result.copies, sum(skipped.values()),
             f" ({dict(skipped)})" if skipped else "", result.rows)
    return result


def load_articles(ctx, run, items: Sequence[ArticleItem], securities: Sequence[Security]) -> BatchResult:  # noqa: ANN001
    """Prepare a batch outside the database, then store it in one transaction (`pipelines.runs.write`)."""
    others = known_issuer_names(ctx, ctx.config.watchlist) if items else ()
    prepared, skipped = prepare_batch(items, securities, min_text_chars=ctx.config.news.min_text_chars,
                                      watchlist=ctx.config.watchlist, others=others)
    return store_prepared(ctx, run, prepared, skipped, len(items))
