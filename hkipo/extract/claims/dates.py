"""Which trading day a sentence talks about, for figures that change every day.

A first-day close is only a first-day close if the sentence is about the
listing day: "closed at HK$158.60 on Friday" two days later, a close on
15 April, or a grey-market price the evening before are other figures. The
day comes from an explicit date (`2026年1月9日`, `1月9日`, `Jan 9`,
`9 January 2026`, `2026-01-09`), a relative word resolved against the
publication date (今日, 昨日, today, yesterday, 周五, on Friday), or a
sequence word (首日 / debut → the listing day; 次日 / day two → not it).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from hkipo.extract.dates import MONTHS

_MON = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DATE_PATTERNS = (
    re.compile(r"(?:(?P<y>\d{4})\s*年\s*)?(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号號]"),
    re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)"),
    re.compile(rf"(?<![a-z]){_MON}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?![\d])(?:,?\s+(?P<y>\d{{4}}))?", re.IGNORECASE),
    re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MON}(?![a-z])(?:,?\s+(?P<y>\d{{4}}))?", re.IGNORECASE),
)
_WEEKDAYS = {
    "周一": 0, "周二": 1, "周三": 2, "周四": 3, "周五": 4, "周六": 5, "周日": 6,
    "星期一": 0, "星期二": 1, "星期三": 2, "星期四": 3, "星期五": 4, "星期六": 5, "星期日": 6, "星期天": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}
_WEEKDAY = re.compile("|".join(sorted(_WEEKDAYS, key=len, reverse=True)))
_TODAY = re.compile(r"今日|今天|今早|今晨|今午|today|this morning|this afternoon")
_YESTERDAY = re.compile(r"昨日|昨天|昨晚|yesterday")
FIRST_DAY = re.compile(
    r"首日|上市首日|挂牌首日|首个交易日|上市当日|上市当天|挂牌当日|debut|first day|first-day|first trading day|"
    r"opening day|listing day|day one|trading debut|首秀|上市即"
)
LATER_DAY = re.compile(r"次日|第二个交易日|第二日|第二天|上市第二|day two|second day|second trading day|day 2\b")
GREY_MARKET = re.compile(r"暗盘|grey market|gray market|grey-market|gray-market")


@dataclass(frozen=True)
class DayRef:
    day: dt.date | None  # the day the sentence is about, if it says
    first_day: bool | None  # True: the listing day; False: another day; None: cannot tell
    how: str


def explicit_date(folded: str, *, year_hint: int | None) -> dt.date | None:
    """The last explicit calendar date in a (folded, lower-case) text."""
    found: list[tuple[int, dt.date]] = []
    for pat in _DATE_PATTERNS:
        for m in pat.finditer(folded):
            try:
                month = int(m.group("m")) if m.groupdict().get("m") else MONTHS[m.group("mon").lower()]
                year = int(m.group("y")) if m.group("y") else year_hint
                if year is None:
                    continue
                found.append((m.start(), dt.date(year, month, int(m.group("d")))))
            except (ValueError, KeyError, TypeError):
                continue
    if not found:
        return None
    return max(found)[1]


def resolve_day(folded_sentence: str, *, listing_date: dt.date | None, published: dt.date | None,
                context_day: dt.date | None) -> DayRef:
    """Is this sentence about the listing day? `context_day` = an explicit date earlier in the paragraph."""
    year_hint = (published or listing_date or dt.date.today()).year
    day = explicit_date(folded_sentence, year_hint=year_hint)
    if day is not None:
        return DayRef(day, None if listing_date is None else day == listing_date, "explicit date")
    if LATER_DAY.search(folded_sentence):
        return DayRef(None, False, "later-day word")
    if FIRST_DAY.search(folded_sentence):
        return DayRef(listing_date, True, "first-day word")
    if published is not None:
        if _YESTERDAY.search(folded_sentence):
            d = published - dt.timedelta(days=1)
            return DayRef(d, None if listing_date is None else d == listing_date, "yesterday")
        wm = _WEEKDAY.search(folded_sentence)
        if wm:
            back = (published.weekday() - _WEEKDAYS[wm.group(0)]) % 7
            d = published - dt.timedelta(days=back)
            return DayRef(d, None if listing_date is None else d == listing_date, "weekday")
        if _TODAY.search(folded_sentence):
            return DayRef(published, None if listing_date is None else published == listing_date, "today")
    if context_day is not None:
        return DayRef(context_day, None if listing_date is None else context_day == listing_date, "date in paragraph")
    if published is not None and listing_date is not None:
        return DayRef(published, published == listing_date, "publication date")
    return DayRef(None, None, "no date")
