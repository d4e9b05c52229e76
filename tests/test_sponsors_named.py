"""Sponsors named in a sentence (hkipo/extract/sponsors.py): our own sentences in the real wording."""

from __future__ import annotations

import pytest

from hkipo.core.sponsors import sponsor_key
from hkipo.extract.sponsors import sponsors_named


@pytest.mark.parametrize(("text", "names"), [
    ("董事確認，甲乙證券（香港）有限公司、丙丁資本有限公司及戊己國際融資有限公司擔任聯席保薦人。",
     ["甲乙證券（香港）有限公司", "丙丁資本有限公司", "戊己國際融資有限公司"]),
    ("中 國 國 際 金 融 香 港 證 券 有 限 公 司 作為獨家保薦人。", ["中國國際金融香港證券有限公司"]),
    ("佔已發行股份總數之概約百分比（假設超額配股權未獲行使）庚辛證券有限公司，為獨家保薦人", ["庚辛證券有限公司"]),
    ("Harbour Crest Capital Limited and Morgan Stanley Asia Limited are the Joint Sponsors of the listing.",
     ["Harbour Crest Capital Limited", "Morgan Stanley Asia Limited"]),
])
def test_named_sponsors(text: str, names: list[str]) -> None:
    assert sponsors_named(text) == names


@pytest.mark.parametrize("text", [
    "聯席保薦人及整體協調人（為其本身及代表香港包銷商）有權即時終止其責任。",  # roles, no names
    "Harbour Crest Capital Limited及甲乙融資有限公司擔任聯席保薦人",  # a name cut by the script change: unsure
    "共有12,000,000股由壬癸有限公司持有，為保薦人",  # figures in the name
])
def test_unclear_sentences_give_nothing(text: str) -> None:
    assert sponsors_named(text) == []


def test_keys_of_named_sponsors() -> None:
    assert sponsor_key("中國國際金融香港證券有限公司") == "cicc"
    assert sponsor_key("華泰金融控股（香港）有限公司") == "huatai"
    assert sponsor_key("Morgan Stanley Asia Limited") == "morgan stanley"
