"""Sponsors named in a sentence: "X有限公司、Y有限公司及Z有限公司擔任聯席保薦人" / "X Limited and Y Limited are the Joint Sponsors".

Formal notices and allotment announcements usually print the sponsors as
logos; some announcements name them once in a sentence (the directors'
confirmation, the sponsors' independence). A name is kept only when every
firm of the sentence reads as a whole legal name (ending in 有限公司,
有限責任公司, Limited, L.L.C.; no figures); a sentence that does not split
cleanly gives nothing (a wrong sponsor is worse than none).
"""

from __future__ import annotations

import re

_ZH_END = r"(?:有限公司|有限責任公司|有限责任公司|L\.L\.C\.)"
_ZH = re.compile(r"((?:[^。；，：:\s]{2,60}?" + _ZH_END + r"(?:[、，]|及|和)?)+)"
                 r"(?:為|为|作為|作为|擔任|担任)(?:本公司的?)?(?:聯席|联席|獨家|独家)?保[薦荐]人")
_EN_NAME = r"(?:[A-Z][\w.&()’'-]*\s+){1,8}(?:Limited|L\.L\.C\.|LLC)"
_EN = re.compile(r"(" + _EN_NAME + r"(?:(?:,?\s+and\s+|,\s+)" + _EN_NAME + r")*)"
                 r"\s*,?\s+(?:is|are|acts? as|as)\s+(?:the\s+)?(?i:joint\s+|sole\s+)?(?i:sponsors?)\b")
_SPLIT_ZH = re.compile(r"(?<=有限公司)|(?<=有限責任公司)|(?<=有限责任公司)|(?<=L\.L\.C\.)")
MAX_ZH_NAME = 25


def _zh_names(group: str) -> list[str] | None:
    names = []
    if re.search(r"L\.L\.C\.", group):
        return None
    for piece in _SPLIT_ZH.split(group):
        piece = piece.strip().lstrip("、，及和").strip()
        if not piece:
            continue
        if len(piece) > MAX_ZH_NAME:  # text before the first name ("…（假設…）中信里昂證券有限公司"): cut at a bracket
            cut = max(piece.rfind("）"), piece.rfind(")"))
            rest = piece[cut + 1:] if cut >= 0 else ""
            if len(rest) < 6 or len(rest) > MAX_ZH_NAME:
                return None
            piece = rest
        if re.search(r"[\d%A-Za-z]", piece) or not re.search(r"[\u4e00-\u9fff]", piece):  # mixed: unsure
            return None
        names.append(piece)
    return names or None


def _en_names(group: str) -> list[str] | None:
    parts = [p.strip(" ,") for p in re.split(r",\s+and\s+|\s+and\s+|,\s+", group) if p.strip(" ,")]
    if not parts or any(re.search(r"\d", p) or not re.search(r"(?:Limited|L\.L\.C\.|LLC)$", p) for p in parts):
        return None
    return parts


def sponsors_named(text: str) -> list[str]:
    """Sponsor firms named in a sentence of `text`, as printed; [] if none is named cleanly."""
    flat = re.sub(r"(?<=[\u4e00-\u9fff）)])\s+(?=[\u4e00-\u9fff（(])", "", text)
    for rx, split in ((_ZH, _zh_names), (_EN, _en_names)):
        for m in rx.finditer(flat):
            names = split(m.group(1))
            if names:
                return list(dict.fromkeys(names))
    return []
