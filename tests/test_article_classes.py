"""Classes of real page that defeated extraction, as pages we wrote in their structure.

Titles with site and section suffixes, navigation headings in <h1>, a cut or
rewritten og:title; dates stated without a time next to a byline that has
one; pages whose charset declaration is wrong or missing; a page whose
first extraction returns reader comments or an image caption.
"""

from __future__ import annotations

import datetime as dt

import pytest

from hkipo.extract.article import extract_article
from hkipo.extract.charset import decode_html

HK = dt.timezone(dt.timedelta(hours=8))
STORY_ZH = (
    "本报讯 港股新股市场今年持续活跃，多家科技企业相继递表。市场人士认为，随着利率回落，"
    "资金对成长股的兴趣明显回升，新股认购气氛较去年明显改善。"
    "有券商分析师指出，投资者在参与认购前，应留意公司的盈利能力、估值水平以及基石投资者的组成，"
    "不宜只看孖展倍数而盲目追捧。此外，部分新股上市后股价波动较大，散户宜量力而为。"
)
STORY_EN = (
    "Hong Kong's market for new listings has been busy this year, with several technology companies filing "
    "to go public. Analysts say falling interest rates have revived demand for growth stocks, and retail "
    "investors are again borrowing to subscribe. Brokers caution that first-day gains are not guaranteed "
    "and that the make-up of the cornerstone book says more than the margin multiple."
)


def html_page(head: str, body: str, charset: str | None = "utf-8") -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    return f"<html><head>{meta}{head}</head><body>{body}</body></html>"


def article(body: bytes | str, url: str = "https://news.example/a/1") -> object:
    return extract_article(body if isinstance(body, bytes) else body.encode("utf-8"), url)


def paragraphs(text: str, n: int = 3) -> str:
    return "".join(f"<p>{text}</p>" for _ in range(n))


# --- titles -------------------------------------------------------------------

@pytest.mark.parametrize("title,want", [
    ("新股市场回暖 科技企业扎堆递表_珠江日报网", "新股市场回暖 科技企业扎堆递表"),
    ("新股市场回暖 科技企业扎堆递表_财经频道_珠江日报网", "新股市场回暖 科技企业扎堆递表"),
    ("维港博客 » 新股市场回暖 科技企业扎堆递表", "新股市场回暖 科技企业扎堆递表"),
    ("新股市场回暖——科技企业扎堆递表", "新股市场回暖——科技企业扎堆递表"),  # a Chinese dash is punctuation
    ("IPO market revives as tech firms file : Money Hour : HKR", "IPO market revives as tech firms file"),
])
def test_title_without_an_h1_is_the_headline_part_of_the_title(title: str, want: str) -> None:
    a = article(html_page(f"<title>{title}</title>", f"<div>{paragraphs(STORY_ZH)}</div>"))
    assert a.title == want


def test_a_navigation_heading_in_an_h1_is_not_the_title() -> None:
    body = ('<div class="nav"><h1>全部导航</h1></div><div class="main"><h1>新股市场回暖 科技企业扎堆递表</h1>'
            f"{paragraphs(STORY_ZH)}</div>")
    a = article(html_page("<title>新股市场回暖 科技企业扎堆递表_某某新闻</title>", body))
    assert a.title == "新股市场回暖 科技企业扎堆递表"


@pytest.mark.parametrize("og,h1", [
    ("IPO market revives", "IPO market revives as Hong Kong tech firms file in numbers"),  # cut og:title
    ("Tech firms flock to Hong Kong", "Hong Kong's new-listing market is busy again"),  # rewritten og:title
])
def test_the_visible_headline_wins_over_a_cut_or_rewritten_og_title(og: str, h1: str) -> None:
    head = f'<title>{og} | HKR</title><meta property="og:title" content="{og}">'
    a = article(html_page(head, f"<article><h1>{h1}</h1>{paragraphs(STORY_EN)}</article>"))
    assert a.title == h1


def test_an_h1_with_a_widgets_words_after_the_headline_gives_the_headline() -> None:
    head = '<meta property="og:title" content="新股市场回暖 科技企业扎堆递表">'
    body = f'<h1>新股市场回暖 科技企业扎堆递表<span class="tts">播报文章</span></h1>{paragraphs(STORY_ZH)}'
    assert article(html_page(head, body)).title == "新股市场回暖 科技企业扎堆递表"


# --- dates ------------------------------------------------------------------

def test_a_day_from_the_markup_gets_the_time_the_byline_writes_for_it() -> None:
    head = '<title>新股市场回暖</title><meta name="publishdate" content="2026-03-02">'
    body = f'<h1>新股市场回暖</h1><table><tr><td>2026-03-02 14:35 来源：本报</td></tr></table>{paragraphs(STORY_ZH)}'
    a = article(html_page(head, body))
    assert a.published_at == dt.datetime(2026, 3, 2, 14, 35, tzinfo=HK)


def test_an_unmarked_byline_after_the_headline_gives_the_time() -> None:
    body = (f"<table><tr><td>2026年3月3日 星期二</td></tr></table><h1>新股市场回暖</h1>"
            f"<table><tr><td>本报记者 2026年3月2日 09:05</td></tr></table>{paragraphs(STORY_ZH)}")
    a = article(html_page("<title>新股市场回暖</title>", body))
    assert a.published_at == dt.datetime(2026, 3, 2, 9, 5, tzinfo=HK)


def test_a_time_written_for_another_day_is_not_taken() -> None:
    head = '<title>新股市场回暖</title><meta name="publishdate" content="2026-03-02">'
    body = f"<h1>新股市场回暖</h1>{paragraphs(STORY_ZH)}<p>相关：2026-02-27 10:00 旧闻</p>"
    a = article(html_page(head, body))
    assert a.published_at == dt.datetime(2026, 3, 2, tzinfo=HK)


# --- bytes to text ------------------------------------------------------------

def test_utf8_page_declaring_gb2312_with_one_broken_byte_is_read_as_utf8() -> None:
    raw = html_page("<title>新股市场回暖</title>", f"<h1>新股市场回暖</h1>{paragraphs(STORY_ZH)}",
                    charset="gb2312").encode("utf-8")
    cut = raw.index("散户".encode()) + 1  # one byte of a character lost: no longer strictly valid UTF-8
    damaged = raw[:cut] + raw[cut + 1:]
    with pytest.raises(UnicodeDecodeError):
        damaged.decode("utf-8")
    text, codec = decode_html(damaged, "text/html; charset=gb2312")
    assert codec == "utf_8" and "新股认购气氛较去年明显改善" in text
    a = article(damaged)
    assert a.title == "新股市场回暖" and "基石投资者的组成" in a.text


def test_gbk_page_without_a_usable_declaration_and_a_broken_byte_is_read_as_gbk() -> None:
    page = f"<html><head><title>新股市场回暖</title></head><body><h1>新股市场回暖</h1>{paragraphs(STORY_ZH)}</body></html>"
    raw = page.encode("gb18030")
    damaged = raw + b"\xc7"  # cut inside a last character
    with pytest.raises(UnicodeDecodeError):
        damaged.decode("gb18030")
    text, codec = decode_html(damaged)
    assert codec == "gb18030" and "新股认购气氛较去年明显改善" in text


def test_a_latin_page_without_a_declaration_is_not_taken_for_chinese() -> None:
    page = ("<html><body><p>" + "Les introductions en bourse à Hong Kong ont été très demandées cette année, "
            "après une période difficile; les courtiers prévoient une activité soutenue. " * 8 + "</p></body></html>")
    _, codec = decode_html(page.encode("cp1252"))
    assert codec not in ("gb18030", "big5hkscs")


# --- comment boxes and captions -----------------------------------------------

PARAS = [f"第{i}点，" + STORY_ZH[i * 3:] + STORY_ZH[:i * 3] for i in range(8)]
CAPTION = "图为港交所交易大厅内的大屏幕，显示当日上市新股的股价走势，多名市民驻足观看，不少投资者拿出手机拍照留念，场面热闹。" * 5
COMMENTS = "".join(f'<div class="tie-item"><p>网友{i}：这只新股值得买吗？我觉得估值偏高，还是观望吧，大家怎么看？回复</p></div>'
                   for i in range(6))


@pytest.mark.parametrize("body", [
    # The article as <br>-separated text; precision mode picks the paragraphs of the comment box.
    f'<div class="body"><span>{"<br>".join(PARAS)}</span></div><div class="tie-area">{COMMENTS}</div>',
    f'<font size=3>{"<br>".join(PARAS)}</font><div class="cmt">{COMMENTS}</div>',
    # ... or the one real paragraph of a photo block, longer than the old 200-character rescue line.
    f'<div class="photo"><img src="a.jpg"><p>{CAPTION}</p></div><div class="txt">{"<br><br>".join(PARAS)}</div>',
], ids=["comments-span", "comments-font", "caption"])
def test_comments_or_a_caption_are_not_taken_for_the_article(body: str) -> None:
    import copy

    import trafilatura
    from lxml import html as lxml_html

    page = html_page("<title>新股市场回暖</title>", body)
    first = trafilatura.bare_extraction(copy.deepcopy(lxml_html.document_fromstring(page)), fast=True,
                                        favor_precision=True, include_comments=False, deduplicate=False)
    assert first is not None and len(first.text) > 200 and "第3点" not in first.text  # the trap is real
    a = article(page)
    assert all(p[:30] in a.text for p in PARAS)
    assert "网友3" not in a.text


def test_a_short_real_post_keeps_its_short_text() -> None:
    from hkipo.extract.article import choose_main_text

    post = "导游的收入很大一部分来自购物的回扣，" * 12
    page_with_nav = post + "\n" + "首页 > 社区 > 论坛\n" * 40
    assert choose_main_text(post, page_with_nav[:len(post) + 100]) == post  # not substantially longer
    comments = "\n".join(f"网友{i}：说得对，回复" for i in range(20))
    assert choose_main_text(post, comments + "\n" + post) == post  # a fuller text that is comments loses


def test_a_stream_of_other_stories_after_the_article_is_not_its_text() -> None:
    teasers = "".join(f'<li class="stream-item"><div class="item-content"><h3><a href="/n/{i}">另一则新闻标题{i}</a></h3>'
                      f"<p>这是另一篇报道的摘要第{i}段，讲述与本文无关的楼市、天气与体育消息。{PARAS[i % 8]}</p></div></li>"
                      for i in range(12))
    body = (f'<div class="main"><div class="story"><h1>新股市场回暖</h1><div class="body"><p>{STORY_ZH[:120]}</p></div></div>'
            f'<div class="module-moreStories"><div class="stream"><ul>{teasers}</ul></div></div></div>')
    a = article(html_page("<title>新股市场回暖</title>", body))
    assert STORY_ZH[:40] in a.text
    assert "另一篇报道的摘要" not in a.text


@pytest.mark.parametrize("byline,want", [
    ("发布时间 2026/03/02 22:36:13 by 版主", dt.datetime(2026, 3, 2, 22, 36, 13, tzinfo=HK)),
    ("来源：本报 发布日期： 3/2/2026 5:54:13 AM", dt.datetime(2026, 3, 2, 5, 54, 13, tzinfo=HK)),
    ("2026年03月02日 来源：本报", dt.datetime(2026, 3, 2, tzinfo=HK)),
])
def test_a_labelled_publication_date_in_an_unmarked_cell(byline: str, want: dt.datetime) -> None:
    body = (f"<table><tr><td>今天是2026年3月9日</td></tr></table><h1>新股市场回暖</h1>"
            f"<table><tr><td>{byline}</td></tr></table>{paragraphs(STORY_ZH)}")
    assert article(html_page("<title>新股市场回暖</title>", body)).published_at == want


def test_a_page_laid_out_in_tables_gives_its_story_not_the_navigation_rows() -> None:
    nav = "".join(f"<td>栏目{i}</td><td></td>" for i in range(10))
    story = "".join(f"<p>{p}</p>" for p in PARAS)
    body = (f'<table width="100%"><tr>{nav}</tr><tr><td></td><td>看新闻 读新闻</td><td></td></tr></table>'
            f'<table width="760"><tr><td></td><td><table><tr><td></td><td>{story}</td><td></td></tr></table></td>'
            f'<td><table><tr><td>热门排行</td><td></td></tr><tr><td></td><td>广告</td></tr></table></td></tr></table>'
            f'<table><tr>{nav}</tr></table>')
    a = article(html_page("<title>新股市场回暖_旧门户网</title>", body))
    assert all(p[:30] in a.text for p in PARAS)
    assert "栏目3" not in a.text and "|" not in a.text


def test_a_short_story_ends_before_the_site_footer_and_the_platform_notice() -> None:
    body = (f'<div class="main"><h1>新股市场回暖</h1><div class="article"><p>{STORY_ZH}</p>'
            f'<p>本报记者 陈小明 摄</p></div>'
            '<div class="bar"><p>新股市场回暖播报文章</p></div>'
            '<div class="notice"><p>以上内容（包括图片及视频）由作者上传发布，本平台仅提供信息存储服务</p></div>'
            '<div class="like"><p>12</p><p>写得好就点个赞吧</p></div>'
            '<div class="next"><p>他曾经红遍全国，如今却在乡下种菜，原因令人意外</p></div>'
            '<div class="footer"><p>Copyright © 2001 - 2026 NEWS.EXAMPLE All Rights Reserved.</p>'
            '<p>主办单位：珠江日报社 版权所有：珠江日报网</p></div></div>')
    a = article(html_page("<title>新股市场回暖_珠江日报网</title>", body))
    assert STORY_ZH[:40] in a.text and "陈小明" in a.text
    assert "仅提供信息存储" not in a.text and "Copyright" not in a.text and "种菜" not in a.text


def test_a_footer_word_inside_the_story_does_not_cut_it() -> None:
    from hkipo.extract.article import _without_footer

    story = STORY_ZH + "\n" + "律师提醒，转载他人作品须先取得版权所有者的许可。" + "\n" + STORY_ZH
    assert _without_footer(story) == story
    early = "图片说明\n© 2026 News Example\n" + STORY_ZH
    assert _without_footer(early) == early  # a footer line before most of the text is not the end


def test_a_forum_thread_laid_out_in_tables_gives_the_opening_post_not_the_replies() -> None:
    nav = "".join(f"<td>版块{i}</td><td></td>" for i in range(8))
    post = ("券商朋友说，新股上市首日的涨跌，很大程度上取决于基石投资者的分量和公开发售的超购倍数。"
            "我的经验是，先看招股书里的盈利和估值，再决定要不要借孖展，不要听别人一句话就全仓认购。"
            "大家有什么心得，欢迎在下面分享。")
    replies = "".join(f"<li>回复{i}：楼主说得在理，我去年就是借了孖展结果亏了不少，现在学乖了，先看招股书再说。"
                      f"【网友{i}】03-0{i % 9 + 1} 12:0{i % 9}</li>" for i in range(30))
    body = (f'<table width="100%"><tr>{nav}</tr><tr><td></td><td>游客 欢迎你！</td><td></td></tr></table>'
            '<table><tr><td></td><td>主题：新股到底要不要借孖展认购？</td></tr>'
            '<tr><td></td><td>作者：散户老王 时间：2026-03-02 19:13:18</td></tr>'
            f'<tr><td></td><td></td></tr><tr><td>{post}</td></tr>'
            '<tr><td></td><td>您是本文第 154 个阅览者</td><td></td></tr></table>'
            f'<ul class="thread">{replies}</ul><table><tr>{nav}</tr></table>')
    a = article(html_page("<title>新股到底要不要借孖展认购？_论坛</title>", body))
    assert post[:30] in a.text
    assert "版块3" not in a.text and "楼主说得在理" not in a.text and "|" not in a.text


def test_a_header_run_glued_before_a_short_story_is_dropped() -> None:
    from hkipo.extract.article import _without_header

    headline = "新股市场回暖 科技企业扎堆递表"
    glued = f"珠江电台-财经 {headline} 阅读整篇文章 珠江电台-财经 2026年3月2日週一 上午8:21 {STORY_ZH}\n{PARAS[0]}"
    assert _without_header(glued, STORY_ZH[:80], headline) == f"{STORY_ZH}\n{PARAS[0]}"
    # a lead-in that does not carry the headline is the story's own words, and stays
    lead = f"本报综合报道，{STORY_ZH}"
    assert _without_header(lead, STORY_ZH[:80], headline) == lead
    assert _without_header(glued, None, headline) == glued


def test_the_collapsed_rest_behind_an_expand_button_is_kept() -> None:
    # A portal's "展开全文" hides the rest of the story, but it is the story: we store all of it,
    # although a reader (and the corpus's truth of such pages) sees only the opening.
    rest = "".join(f"<p>折叠部分第{i}段：{p}</p>" for i, p in enumerate(PARAS))
    body = (f'<div class="main"><h1>新股市场回暖</h1><article class="text">'
            f'<p>{STORY_ZH}</p><p>{PARAS[0]}</p>'
            '<div class="expand-box">\n   <section><a href="javascript:;" class="show-all"><em>展开全文</em></a>'
            '</section>\n   </div>\n'
            f'<div class="hidden-content control-hide">{rest}</div></article></div>')
    a = article(html_page("<title>新股市场回暖</title>", body))
    assert STORY_ZH[:40] in a.text
    assert "折叠部分第1段" in a.text
