"""The fast paths of folding, mention matching, fingerprint comparison and the writer's
migration check give exactly what the plain versions give."""

import random
import unicodedata

import numpy as np

from hkipo.core.config import Security
from hkipo.core import textnorm
from hkipo.extract.dedupe import FINGERPRINT_LENGTH, Fingerprints, fingerprint, similarity
from hkipo.extract.mentions import find_mentions, tag_article
from warehouse import db


def _fold_reference(text: str) -> str:
    """fold() as first written: every character through _fold_char, then OpenCC."""
    return textnorm.to_simplified("".join(textnorm._fold_char(c) for c in text))


def _script_reference(text: str) -> str | None:
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if len(han) < 10:
        latin = sum(c.isascii() and c.isalpha() for c in text)
        return "en" if latin >= 20 else (None if not han else "zh-Hans")
    sample = "".join(han[:5000])
    changed = sum(a != b for a, b in zip(sample, textnorm.to_simplified(sample), strict=True))
    return "zh-Hant" if changed / len(sample) > 0.02 else "zh-Hans"


def test_characters_the_fold_skips_never_change():
    skipped = [chr(c) for c in [*range(0x41), *range(0x5B, 0x80), *range(0x4E00, 0xA000)]]
    assert all(not textnorm._MAY_CHANGE.match(c) for c in skipped)
    assert [c for c in skipped if textnorm._fold_char(c) != c] == []


def test_fold_and_script_match_the_per_character_versions():
    rnd = random.Random(8)
    ranges = [(0x20, 0x7E), (0x4E00, 0x9FFF), (0xFF01, 0xFF5E), (0x3000, 0x303F), (0xC0, 0x24F),
              (0x130, 0x131), (0x391, 0x3C9), (0x2460, 0x24FF), (0xF900, 0xFAFF), (0x1D400, 0x1D4FF)]
    texts = ["", "MiniMax 00100.HK", "智譜華章（02513）今日掛牌，ＭＩＮＩＭＡＸ全日成交", "İSTANBUL ΟΔΟΣ",
             "智谱" * 30, "智譜" * 30 + "abc"]
    for _ in range(400):
        picked = [rnd.choice(ranges) for _ in range(3)]
        texts.append("".join(chr(rnd.randint(*rnd.choice(picked))) for _ in range(rnd.randint(0, 200))))
    for t in texts:
        assert textnorm.fold(t) == _fold_reference(t), t
        assert textnorm.script_of(t) == _script_reference(t), t
    assert unicodedata.normalize("NFKC", "Ａ") == "A"  # the width folding the fast path must keep
    assert textnorm.fold("ＡＢ\u3000智譜") == "ab 智谱"


def _security(code: str, name_en: str, *aliases: str, zh: str = "") -> Security:
    return Security(code=code, name_en=name_en, name_zh_hans=zh, aliases=aliases)


def test_mentions_follow_an_edited_watchlist():
    """The compiled patterns are cached by codes and names: an edit is a new watchlist, not a stale hit."""
    text = "Acme Robotics (09999.HK) rose; Acme fell back. 智譜 too."
    before = [_security("09999", "Acme Robotics", "Acme")]
    after = [_security("09999", "Acme Robotics"), _security("02513", "Zhipu", zh="智谱")]
    assert [m.method for m in find_mentions(text, before)] == ["alias:Acme Robotics", "code:09999.HK", "alias:Acme"]
    assert [m.method for m in find_mentions(text, after)] == ["alias:Acme Robotics", "code:09999.HK", "alias:智谱"]
    folded = textnorm.fold(text)
    assert find_mentions(text, after, folded=folded) == find_mentions(text, after)
    tagged = tag_article("Acme Robotics lists", text, after, folded_text=folded)
    assert tagged == tag_article("Acme Robotics lists", text, after)
    assert [(t.hkex_code, t.in_title, t.mentions) for t in tagged] == [("09999", True, 2)]


def test_vectorised_similarity_is_similarity():
    rnd = random.Random(3)
    base = [fingerprint(" ".join(rnd.choice(["alpha", "beta", "gamma", "delta", "智谱", "上市", "认购"])
                                 for _ in range(rnd.randint(5, 80)))) for _ in range(40)]
    odd = ["f" * FINGERPRINT_LENGTH, base[0].upper(), "x" * (FINGERPRINT_LENGTH - 1), "",
           "é" * FINGERPRINT_LENGTH, base[1][:128] + base[2][128:]]
    fps = base + odd
    f = Fingerprints(fps)
    i = np.array([a for a in range(len(fps)) for _ in range(len(fps))])
    j = np.array([b for _ in range(len(fps)) for b in range(len(fps))])
    got = f.similarity(i, f, j)
    assert [float(x) for x in got] == [similarity(fps[a], fps[b]) for a, b in zip(i, j, strict=True)]
    assert max(got) == 1.0 and 0.0 < float(f.similarity(1, f, len(base) + 5)) < 1.0


def test_writer_refreshes_views_whose_checksum_is_stale(tmp_db):
    with db.writer(tmp_db) as con:
        assert db.views_current(con)
        con.execute("UPDATE warehouse_meta SET value = 'stale' WHERE key = ?", [db.VIEWS_META_KEY]).fetchall()
        con.execute("DROP VIEW v_claims").fetchall()
    with db.writer(tmp_db) as con:
        assert db.views_current(con)
        assert con.execute("SELECT count(*) FROM v_claims").fetchall() == [(0,)]
        assert db.migrate(con) == []
