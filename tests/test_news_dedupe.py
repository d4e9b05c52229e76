"""Content fingerprints: syndicated copies match, different stories about one IPO do not."""

from __future__ import annotations

import itertools

import opencc

from news_fixtures import headers, page, pages, served
from hkipo.extract.dedupe import (
    DUPLICATE_SIMILARITY,
    FINGERPRINT_LENGTH,
    article_id,
    bands,
    fingerprint,
    normalized_text,
    similarity,
)
from hkipo.extract.article import extract_article


def text_of(name: str) -> str:
    entry = page(name)
    return extract_article(served(entry), entry["url"], headers(entry)).text


def test_fingerprint_shape_and_stability() -> None:
    fp = fingerprint("MiniMax（00100.HK）收报345港元，较发行价大涨109.09%。")
    assert len(fp) == FINGERPRINT_LENGTH and int(fp, 16) >= 0
    assert fp == fingerprint("MiniMax（00100.HK）收报345港元，较发行价大涨109.09%。")
    assert len(bands(fp)) == 32 and "".join(bands(fp)) == fp
    assert article_id(fp) == article_id(fp) and len(article_id(fp)) == 24


def test_script_width_case_and_punctuation_do_not_change_the_fingerprint() -> None:
    simplified = text_of("gelonghui/900101")
    traditional = opencc.OpenCC("s2t.json").convert(simplified)
    assert traditional != simplified
    assert normalized_text(traditional) == normalized_text(simplified)
    assert fingerprint(traditional) == fingerprint(simplified)
    wide = simplified.replace("1837", "１８３７").replace("MiniMax", "ＭｉｎｉＭａｘ").replace("，", ", ")
    assert fingerprint(wide) == fingerprint(simplified)


def test_syndicated_copies_in_the_fixtures_are_near_duplicates() -> None:
    for entry in pages():
        original = entry["expect"].get("duplicate_of")
        if not original:
            continue
        source = next(p for p in pages() if p["url"] == original)
        copy_text = extract_article(served(entry), entry["url"], headers(entry)).text
        original_text = extract_article(served(source), source["url"], headers(source)).text
        assert copy_text != original_text  # different boilerplate lines, script or headline
        assert similarity(fingerprint(copy_text), fingerprint(original_text)) >= 0.8, entry["file"]


def test_different_stories_about_the_same_ipo_stay_apart() -> None:
    """Every pair of distinct fixture stories scores far below the threshold, though they share
    names, codes and figures (1837倍, 165港元, 109.09%)."""
    stories = [e for e in pages() if not e["expect"].get("duplicate_of")]
    fps = {e["file"]: fingerprint(extract_article(served(e), e["url"], headers(e)).text) for e in stories}
    worst = max(similarity(fps[a], fps[b]) for a, b in itertools.combinations(fps, 2))
    assert worst < DUPLICATE_SIMILARITY * 0.6, worst


def test_an_edited_paragraph_keeps_the_story_recognisable() -> None:
    text = text_of("wallstreetcn/3762105")
    edited = text.replace("也有分析师提醒", "另有分析师在收盘后提醒") + "\n（更新：补充收盘数据）"
    assert similarity(fingerprint(edited), fingerprint(text)) >= DUPLICATE_SIMILARITY
