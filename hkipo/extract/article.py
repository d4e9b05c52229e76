"""What a news page says: a plain function of its bytes, URL and headers.

`extract_article` is used by the news spider, by `hkipo ingest` (saved
pages) and by tests, with no crawler involved. Main text and title come from
trafilatura (boilerplate, navigation and sidebars removed, which is also what
keeps a ticker listed in a sidebar out of the mention tagger); publication
time from the page's own statements (hkipo/extract/dates.py); bytes to text
through hkipo/extract/charset.py. No per-site rules so far: none of the
fixture sites defeats the generic extractor.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Mapping, Sequence
from urllib.parse import SplitResult, urljoin, urlsplit

import trafilatura
from lxml import html as lxml_html

from hkipo.core.items import Article
from hkipo.core.urls import canonical_url, registered_domain
from hkipo.core.textnorm import script_of
from hkipo.extract.charset import decode_html
from hkipo.extract.dates import find_published

Headers = Mapping[str, str | bytes | Sequence[str | bytes]]
# Main text shorter than this gets trafilatura's slower fallback extractors too.
RESCUE_BELOW_CHARS = 200
# ... and so does a main text shorter than this that reads as comments or a caption (`_not_a_body`).
SECOND_OPINION_BELOW_CHARS = 1500
# Bump when extraction changes what it produces, so stored articles are re-written on the next fetch.
EXTRACTOR_VERSION = "news-article/2"
# Formats a saved file may be instead of a page, by their first bytes (the spider has a Content-Type to go by).
NOT_PAGES = ((b"%PDF-", "PDF document"), (b"\x89PNG\r\n\x1a\n", "PNG image"), (b"\xff\xd8\xff", "JPEG image"),
             (b"GIF87a", "GIF image"), (b"GIF89a", "GIF image"), (b"PK\x03\x04", "ZIP archive"))




def header_value(headers: Headers | None, name: str) -> str | None:
    """One header from a dict of str/bytes or lists of them (Scrapy's and the cassette's shapes)."""
    if not headers:
        return None
    for key, value in headers.items():
        k = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if k.lower() != name.lower():
            continue
        if isinstance(value, (list, tuple)):
            value = value[0] if value else None
        if value is None:
            return None
        return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return None


def web_url(url: str) -> SplitResult | None:
    """An http(s) URL's parts; None for another scheme or a malformed URL (`http://[broken/`, port 99999)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    return parts if parts.scheme in ("http", "https") else None


def not_a_page(body: bytes) -> str | None:
    """What a file is when its first bytes say it is not a web page (a PDF saved as .html), else None."""
    head = body[:16].lstrip(b"\xef\xbb\xbf \t\r\n")
    return next((kind for magic, kind in NOT_PAGES if head.startswith(magic)), None)


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _meta(tree: lxml_html.HtmlElement, *names: str) -> str | None:
    wanted = {n.lower() for n in names}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        if key in wanted and (meta.get("content") or "").strip():
            return " ".join(meta.get("content").split())
    return None


def _canonical(tree: lxml_html.HtmlElement, fetched: str) -> str:
    """rel=canonical or og:url when it names a real page on the same site; else the fetched URL."""
    fetched_host = _host(fetched)
    candidates = [link.get("href") for link in tree.xpath('//link[@rel="canonical"][@href]')]
    candidates.append(_meta(tree, "og:url"))
    for href in candidates:
        if not href:
            continue
        try:
            absolute = urljoin(fetched, href.strip())
        except ValueError:  # malformed: unusable, like any other bad canonical
            continue
        parts = web_url(absolute)
        if parts is None or parts.path in ("", "/"):
            continue
        if registered_domain(parts.hostname or "") == registered_domain(fetched_host):
            return canonical_url(absolute)
    try:
        return canonical_url(fetched)
    except ValueError:  # a malformed URL given by the caller: kept as given
        return fetched


def _clean_title(title: str, site: str) -> str:
    title = " ".join(title.split())
    for sep in (" - ", " | ", "_", " – ", " — ", "｜", "|"):
        head, found, tail = title.rpartition(sep)
        if found and head and site and (tail.strip() in site or site in tail.strip()):
            return head.strip()
    return title


def _site_name(tree: lxml_html.HtmlElement, hint: str | None, url: str) -> str:
    if hint:  # the caller knows better (hkipo ingest --site)
        return hint
    named = _meta(tree, "og:site_name", "application-name", "twitter:site")
    if named:
        return named.lstrip("@")
    # Many Chinese sites end <title> with their name: "headline_36氪", "headline - 某某财经网".
    title = " ".join((tree.findtext(".//title") or "").split())
    for sep in ("_", " - ", " | ", "｜", " – "):
        head, found, tail = title.rpartition(sep)
        tail = tail.strip()
        if found and head and 0 < len(tail) <= 16 and tail not in _title(tree):
            return tail
    return registered_domain(_host(url)) or "unknown"


def _language(script: str | None, tree: lxml_html.HtmlElement) -> str | None:
    if script in ("zh-Hans", "zh-Hant"):
        return "zh"
    if script == "en":
        return "en"
    lang = (tree.get("lang") or "").split("-")[0].lower()
    return lang or None


def _main_text(page: str, url: str) -> str:
    """trafilatura's main text, one paragraph per line.

    Given our own lxml tree (libxml2 recovers malformed pages that trafilatura's
    loader rejects) and no metadata pass: title and site come from the page's
    meta tags, dates from hkipo/extract/dates.py (trafilatura's date search
    falls back to dateparser, 0.5 s a page).
    """
    try:
        tree = lxml_html.document_fromstring(page)
    except (ValueError, lxml_html.etree.ParserError):
        return ""
    options = dict(url=url, with_metadata=False, include_comments=False, include_tables=True,
                   include_images=False, include_links=False, favor_precision=True, deduplicate=False)
    # trafilatura alone first; its fallbacks (readability, jusText) cost 5x as much and only
    # matter when it finds next to nothing.
    doc = trafilatura.bare_extraction(_without_other_stories(copy.deepcopy(tree)), fast=True, **options)
    text = (doc.text or "") if doc is not None else ""
    if _layout_tables(text):
        # A page laid out in tables (old portals) comes back as table rows of navigation around the story;
        # read without tables, the story's own paragraphs remain. Kept when about as long or shorter.
        flat = {**options, "include_tables": False, "favor_precision": False}
        doc = trafilatura.bare_extraction(_without_other_stories(copy.deepcopy(tree)), fast=True, **flat)
        untabled = (doc.text or "") if doc is not None else ""
        if 0.25 * len(text) <= len(untabled) <= 1.15 * len(text):
            text = untabled
        else:
            cell = _story_cell(text)
            if cell:
                return cell  # the story as the page shows it; no rescue pass, which reads the tables again
    if len(text) < RESCUE_BELOW_CHARS or (len(text) < SECOND_OPINION_BELOW_CHARS and _not_a_body(text, tree)):
        # Precision mode's pick can be a comment box or an image caption; trafilatura's defaults
        # (recall over precision, with its fallbacks) then find the article around it.
        recall = {**options, "favor_precision": False}
        _drop_comment_boxes(_without_other_stories(tree))
        doc = trafilatura.bare_extraction(tree, **recall)
        rescued = (doc.text or "") if doc is not None else ""
        text = choose_main_text(text, rescued)
    text = re.sub(r"[ \t\u3000]+\n", "\n", text)
    return _without_footer(re.sub(r"\n{3,}", "\n\n", text).strip())


# A site footer or platform disclaimer line: what follows it is the page's furniture, not the story.
_FOOTER_LINE = re.compile(r"copyright\s*(?:©|\(c\)|\d{4})|^©\s*\d{4}|all rights reserved|版权所有(?!者)|版權所有(?!者)|"
                          r"仅提供信息存储|僅提供信息存儲", re.I)
# A button's words left as a line of their own at the end ("show more", "listen to the article").
_CONTROL_LINE = re.compile(r"(?:查看更多|阅读全文|閱讀全文|展开全文|展開全文|播报文章|播報文章|点个赞吧|點個讚吧|"
                           r"read more|show more)$", re.I)


def _without_footer(text: str) -> str:
    """The text cut at a footer or disclaimer line in its second half, without trailing button lines.

    Short pages (a photo story, a wire flash) come back with the site footer
    and the platform's "we only store this" notice, then teasers; the story
    is what comes before. Kept whole when the cut would leave less than half.
    """
    lines = text.split("\n")
    total = len(text)
    for i, line in enumerate(lines):
        if i and len(line) <= 100 and _FOOTER_LINE.search(line):
            head = "\n".join(lines[:i])
            if len(head) * 2 >= total:
                lines = lines[:i]
            break
    while len(lines) > 1 and len(lines[-1].strip()) <= 60 and _CONTROL_LINE.search(lines[-1].strip()):
        lines.pop()
    return "\n".join(lines).strip()


_TITLE_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W\u3400-\u9fff\uf900-\ufaff]+")
# Separators between a headline and the site, section or blog name in <title> / og:title.
# A dash is a separator only with spaces around it: "对比试车—测试…" and "标题——副题" are punctuation.
_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|»|«|::|--)\s*|\s+[-:—–]\s+")
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")


def _title_tokens(text: str) -> set[str]:
    return set(_TITLE_TOKEN.findall(unicodedata.normalize("NFKC", text).casefold()))


def _overlap(a: str, b: str) -> float:
    ta, tb = _title_tokens(a), _title_tokens(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def _width(text: str) -> int:
    """Display width: a Han character says about as much as a short word's two letters."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _headline_of(title: str) -> str:
    """The headline part of a <title> or og:title: the widest of its separated parts.

    "标题_新闻频道_中国青年网", "多维博客 » 标题", "Headline : Short Wave : NPR",
    "Joel on Software - 标题": the parts around the headline are site,
    section and blog names, each narrower than the headline itself.
    """
    title = " ".join(_PRIVATE_USE.sub("", title).split())
    parts = [p.strip() for p in _TITLE_SEPARATORS.split(title) if p and p.strip()]
    if len(parts) < 2:
        return title
    widest = max(parts, key=_width)
    return widest if _width(widest) >= 8 else title


# "网友 123 评论", "回复", "顶 踩", "#3楼": what a comment box's lines say.
_COMMENT_LINE = re.compile(r"网友|網友|回复|回覆|跟贴|跟帖|评论|評論|顶\s*\d|踩|\d+\s*楼|\d+\s*樓|reply|replies|comment|"
                           r"\d+\s*(?:小时|分钟|天)前|\bago\b", re.I)


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


# Containers whose text is not the article: image captions and comment boxes (class, id or tag).
_NOT_BODY = re.compile(r"caption|figcaption|pic|photo|img|image|comment|tie|reply|cmt|discuss|评论", re.I)


def _comments(text: str) -> bool:
    """Mostly comment lines (user names, replies, "3 小时前")."""
    lines = _paragraphs(text)
    return bool(lines) and sum(1 for line in lines if _COMMENT_LINE.search(line)) * 2 >= len(lines)


def _not_a_body(text: str, tree: lxml_html.HtmlElement) -> bool:
    """The extracted text reads as comments, or its longest line sits in a caption or comment container."""
    if _comments(text):
        return True
    lines = _paragraphs(text)
    if not lines:
        return True
    snippet = max(lines, key=len)[:24]
    for el in tree.iter():
        if not isinstance(el.tag, str) or snippet not in (el.text or ""):
            continue
        node = el
        for _ in range(6):  # the element and a few ancestors
            if node is None or not isinstance(node.tag, str):
                break
            if _NOT_BODY.search(f"{node.tag} {node.get('class', '')} {node.get('id', '')}"):
                return True
            node = node.getparent()
        return False
    return False


# Containers of other stories: "more stories" streams and recommendation lists that infinite-scroll
# pages append after the article (class or id words).
_OTHER_STORIES = re.compile(r"(?:^|[-_\s])(?:related|recommend\w*|reco|more-?stories|morestories|stream|"
                            r"read-?more|hot-?news|also-?read)(?:$|[-_\s])", re.I)


def _without_other_stories(tree: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
    """The tree without containers of other stories (never one holding the page's <h1>)."""
    doomed = []
    for el in tree.iter():
        if isinstance(el.tag, str) and el.tag not in ("html", "body", "article", "main") and \
                _OTHER_STORIES.search(f"{el.get('class', '')} {el.get('id', '')}"):
            doomed.append(el)
    for el in doomed:
        if el.getparent() is not None and not any(True for _ in el.iter("h1")) and \
                len(el.text_content()) < 0.8 * len(tree.text_content() or " "):
            el.drop_tree()
    return tree


_SENTENCE_MARKS = re.compile(r"[。，！？；,.!?;]")


def _story_cell(text: str) -> str:
    """The first long cell of table-row text: the story (or the opening post) of a page laid out in tables.

    Read without its tables such a page (an old forum thread, a blog's front
    page) runs on into the replies or the next posts, so it is not an
    alternative; the first cell that reads as prose (100 characters, a few
    sentence marks, a fifth of the longest cell at least; a navigation row has
    none) is the story itself. Empty when there is none.
    """
    cells = []
    for line in text.split("\n"):
        line = line.strip()
        if line.startswith("|"):
            cells += [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip("|"))]
    longest = max((len(c) for c in cells), default=0)
    for cell in cells:
        if len(cell) >= 100 and 5 * len(cell) >= longest and len(_SENTENCE_MARKS.findall(cell)) >= 3:
            return cell
    return ""


def _layout_tables(text: str) -> bool:
    """Main text that is mostly table rows with many empty cells: a layout table, not a data table."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    rows = [line for line in lines if line.startswith("|")]
    if not lines or len(rows) * 2 < len(lines):
        return False
    cells = [c.strip() for row in rows for c in row.strip("|").split("|")]
    return bool(cells) and sum(1 for c in cells if not c) * 5 >= len(cells)


_COMMENT_BOX = re.compile(r"comment|(?:^|[-_\s])(?:tie|cmt|reply|replies)(?:$|[-_\s])|评论", re.I)


def _drop_comment_boxes(tree: lxml_html.HtmlElement) -> None:
    """Remove comment containers (class or id) before the recall pass, which would keep them with the article."""
    for el in [e for e in tree.iter() if isinstance(e.tag, str) and e.tag not in ("html", "body")
               and _COMMENT_BOX.search(f"{e.get('class', '')} {e.get('id', '')}")]:
        if el.getparent() is not None:
            el.drop_tree()


def choose_main_text(first: str, second: str) -> str:
    """The precision pick `first`, unless the recall pick `second` is the fuller, real body.

    Called when `first` is next to nothing, comments or a caption. `second`
    must be substantially longer (1.5x and 200 characters more) and not
    comments itself: a page that really is short keeps its short text.
    """
    if not second:
        return first
    if not first or len(first) < RESCUE_BELOW_CHARS:
        return second if len(second) > len(first) else first
    if not _comments(second) and len(second) >= 1.5 * len(first) and len(second) - len(first) >= 200:
        return second
    return first


def _title(tree: lxml_html.HtmlElement) -> str:
    """The visible headline when the page has one, else og:title, else <title>; site names cut off.

    The <h1> is what readers (and annotators) see, and og:title is often a
    shortened or rewritten social-media line: an <h1> that shares enough
    words with og:title or <title> wins over both; a page's only <h1> wins
    even when it shares few (a rewritten og:title) unless it is a site name.
    Navigation headings ("全部导航", "全新首页") share nothing with the title
    and lose. No <h1>: og:title, else <title>, cut to the headline part.
    """
    named = _meta(tree, "og:title", "twitter:title")
    page_title = " ".join((tree.findtext(".//title") or "").split())
    refs = [r for r in (named, page_title) if r]
    h1s = []
    for h1 in tree.iter("h1"):
        text = " ".join(_PRIVATE_USE.sub("", h1.text_content()).split())
        if 2 <= len(text) <= 300 and text not in h1s:
            h1s.append(text)
    if h1s and refs:
        score, best = max(((max(_overlap(h, r) for r in refs), h) for h in h1s), key=lambda x: x[0])
        if score >= 0.3:
            # An <h1> holding a widget's words after the headline ("…播报文章"): the shorter line it starts with.
            for head in refs:
                if len(head) >= 4 and best.startswith(head) and len(best) > len(head) and best[len(head)].isalnum():
                    return head
            return best
        if len(h1s) == 1 and _width(h1s[0]) >= 12 and not any(h1s[0] in r for r in refs):
            return h1s[0]
    elif h1s:
        return h1s[0]
    for ref in refs:
        return _headline_of(ref)
    return ""


_SAVED_FROM = re.compile(rb"<!--\s*saved from url=\(\d+\)(https?://[^\s>]+?)\s*-->", re.I)


def original_url(body: bytes) -> str | None:
    """Where a page saved from a browser came from: its "saved from url" mark, rel=canonical or og:url."""
    m = _SAVED_FROM.search(body[:4096])
    if m and web_url(mark := m.group(1).decode("ascii", "replace")):  # a malformed mark is no mark
        return mark
    page, _ = decode_html(body)
    if not page.strip():
        return None
    try:
        tree = lxml_html.document_fromstring(page)
    except (ValueError, lxml_html.etree.ParserError):
        return None
    for href in [link.get("href") for link in tree.xpath('//link[@rel="canonical"][@href]')] + [
            _meta(tree, "og:url")]:
        if href and web_url(href):
            return href.strip()
    return None


def _without_header(text: str, description: str | None, title: str) -> str:
    """The text without a header run (outlet, headline, "read the whole article", dateline) glued before the story.

    Aggregators render the header and a short story as one block, so the
    extractor returns them as one line. When the page's description (the
    story's opening) starts inside that first line after a short prefix that
    holds the headline, the prefix goes.
    """
    if not text or not description or len(description) < 40 or not title.strip():
        return text
    first, sep, rest = text.partition("\n")
    at = " ".join(first.split()).find(description[:40])
    if at <= 0:
        return text
    flat = " ".join(first.split())
    prefix = flat[:at]
    if len(prefix) > 160 or " ".join(title.split())[:20] not in prefix:
        return text
    return flat[at:] + sep + rest


def extract_article(body: bytes | str, url: str, headers: Headers | None = None, *,
                    site: str | None = None) -> Article:
    """Extract one page. `site` names the outlet when the page does not (e.g. `hkipo ingest --site`)."""
    if isinstance(body, bytes):
        page, encoding = decode_html(body, header_value(headers, "Content-Type"))
    else:
        page, encoding = body, "str"
    try:
        tree = lxml_html.document_fromstring(page) if page.strip() else lxml_html.Element("html")
    except (ValueError, lxml_html.etree.ParserError):
        tree = lxml_html.Element("html")
    text = _main_text(page, url) if page.strip() else ""
    site_name = _site_name(tree, site, url)
    raw_title = _title(tree)
    text = _without_header(text, _meta(tree, "description", "og:description", "twitter:description"), raw_title)
    published = find_published(tree, page, url)
    script = script_of(text) if text else None
    return Article(
        url=_canonical(tree, url),
        fetched_url=url,
        title=_clean_title(raw_title, site_name),
        text=text,
        site=site_name,
        published_at=published.at if published else None,
        published_from=published.source if published else "",
        tz_assumed=published.tz_assumed if published else False,
        language=_language(script, tree),
        script=script,
        encoding=encoding,
    )
