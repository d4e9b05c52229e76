"""The words that say what a figure is, in Chinese (either script) and English.

Patterns run on `textnorm.fold` output: Simplified script, half-width,
lower case — so one pattern covers 超额认购 / 超額認購 and "Oversubscribed".
Each group is a plain regex; `hkipo/extract/claims/extract.py` decides by the
nearest cue to a figure, so a sentence naming several figures gives each
its own meaning. The words naming one metric (an offer price, gross
proceeds, a share count) are the metric's `aliases` in the registry
(hkipo/core/metrics.py), from which the *_KIND tables below are built; the
words here are the ones shared by several metrics or that qualify a figure
(tranche, basis, direction, what to skip).
"""

from __future__ import annotations

import re

from hkipo.core import metrics


def _c(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives))


def _table(kind: str) -> dict[str, re.Pattern[str]]:
    """Metric name → its words, for the registered metrics of one kind that have news vocabulary."""
    return {m.name: _c(*m.aliases) for m in metrics.with_kind(kind)}


# --- subscription multiples -------------------------------------------------
SUBSCRIPTION = _c(r"认购", r"超购", r"超额", r"oversubscri", r"over-subscri", r"subscribed", r"subscription",
                  r"covered", r"孖展", r"入飞", r"冻资", r"\bbook", r"demand")
EX_CORNERSTONE = _c(r"(?:剔除|不计|扣除|除去|排除|不包括|不含|撇除|撇除)基石", r"excluding (?:the )?cornerstone",
                    r"ex-cornerstone", r"stripping out (?:the )?cornerstone", r"without (?:the )?cornerstone",
                    r"not counting (?:the )?cornerstone", r"excluding cornerstones")
TRANCHE = {
    "public": _c(*metrics.get("public_subscription_multiple").aliases),
    "international": _c(*metrics.get("international_subscription_multiple").aliases),
}
ESTIMATE = _c(r"截[至止](?:认购|招股|申购|申请)?(?:截止|结束|截止日|截止时)", r"认购截止", r"截止认购", r"招股截止",
              r"截止申请", r"孖展", r"保证金", r"据市场(?:消息|估计)", r"市场估计", r"初步统计",
              r"at (?:the )?close of (?:the )?(?:applications|subscriptions?|the offer|bookbuilding|books|the book)",
              r"when (?:the )?books? closed", r"\bmargin", r"preliminary", r"estimated", r"\bestimate",
              r"before allotment", r"pre-allotment", r"\bbooks? clos")

# --- per-share prices -------------------------------------------------------
PRICE_KIND = _table("price")
INTRADAY = _c(r"盘中", r"一度", r"截[至止]发稿", r"发稿时", r"午间", r"午盘", r"早盘", r"半日", r"午市", r"midday",
              r"intraday", r"at one point", r"as of press time", r"at the time of writing", r"by noon",
              r"morning session", r"at one stage", r"at lunch", r"lunch break", r"early trade", r"early trading")
SKIP_PRICE = _c(r"每手", r"一手", r"per lot", r"a lot\b", r"每股盈利", r"目标价", r"target price", r"估值", r"valuation",
                r"区间", r"范围", r"介乎", r"\brange\b", r"\bbetween\b", r"上限", r"下限", r"top of", r"bottom of")

# --- returns vs the offer price ---------------------------------------------
RETURN_UP = _c(r"涨", r"升", r"高开", r"溢价", r"飙", r"premium", r"\bup\b", r"rose", r"jump", r"surg", r"soar",
               r"gain", r"climb", r"higher", r"above", r"rall", r"spik", r"popped", r"increase")
RETURN_DOWN = _c(r"跌", r"低开", r"下挫", r"破发", r"\bdown\b", r"fell", r"drop", r"slid", r"lower", r"below",
                 r"declin", r"slump", r"tumbl", r"sank", r"discount")
VS_OFFER = _c(r"较(?:其)?(?:发行价|招股价|发售价|定价|ipo价)", r"相对(?:于)?发行价", r"(?:offer|ipo|listing) price",
              r"offer of", r"from (?:the |its )?(?:offer|ipo|listing)", r"(?:above|over|below) (?:the |its )?(?:offer|ipo)")
SKIP_RETURN = _c(r"市值", r"营收", r"收入", r"revenue", r"净利", r"利润", r"growth", r"增长", r"持股", r"\bstake",
                 r"份额", r"毛利", r"中签", r"基石", r"占", r"比例", r"proportion", r"of the offer", r"of the shares",
                 r"用户", r"users", r"同比", r"year-on-year", r"按年", r"恒指", r"恒生", r"hang seng", r"index")
ONE_LOT = _c(r"一手中签率", r"中签率", r"一手.{0,20}(?:中签|获分配|获得分配|获配)", r"one-lot success",
             r"one lot success", r"(?:a single|one) (?:board )?lot", r"success rate", r"allotment rate", r"odds of")

# --- money totals -----------------------------------------------------------
MONEY_KIND = _table("money")
SKIP_MONEY = _c(r"订单", r"\borders?\b", r"order book", r"需求", r"demand", r"冻资", r"孖展", r"margin", r"借出",
                r"身家", r"net worth", r"fortune", r"持股", r"\bstake", r"价值", r"收入", r"营收", r"revenue",
                r"亏损", r"\bloss", r"利润", r"profit", r"估值", r"valuation", r"valued", r"[a-e]轮", r"轮融资",
                r"\bround\b", r"series [a-f]", r"天使", r"成交额", r"turnover", r"成交", r"每手", r"per lot",
                r"一手", r"赚", r"paper gain", r"支出", r"expense", r"研发", r"r&d", r"现金", r"\bcash\b",
                r"债", r"\bbond", r"贷款", r"\bloan", r"蒸发", r"wiped")
NOT_EXERCISED = _c(r"(?:未获|未|没有|不)(?:悉数|全数|全额)?行使", r"not (?:been )?exercised", r"before any exercise",
                   r"without (?:the |any )?(?:exercise|over-allotment|greenshoe)", r"未计(?:及)?超额")
FULL_OVER_ALLOTMENT = _c(r"超额配股权", r"超额配售权", r"超额配售", r"超额分配", r"绿鞋", r"over-allotment",
                         r"overallotment", r"greenshoe", r"green shoe", r"(?:全数|悉数|全额|全部)行使",
                         r"exercised in full", r"fully exercised")

# --- share counts -----------------------------------------------------------
SHARE_KIND = _table("shares")
SKIP_SHARES = _c(r"持有", r"持股", r"\bholds?\b", r"holding", r"\bstake", r"股东", r"shareholder", r"回购", r"buyback",
                 r"repurchase", r"禁售", r"lock-up", r"解禁", r"成交", r"turnover", r"volume", r"沽空", r"short")

# --- counts of people -------------------------------------------------------
COUNT_KIND = _table("count")
SKIP_COUNT = _c(r"机构", r"institution", r"用户", r"users", r"客户", r"customers", r"clients", r"员工", r"employees",
                r"staff", r"国家", r"countries", r"markets", r"企业", r"开发者", r"developers", r"公司", r"companies",
                r"只新股", r"新股", r"listings")

# --- forms that name the offer price, the book and the grey market ------------
# "最终以每股 165 港元的定价上限发行", "定价于招股价上限", "priced at the top of the range": the offer price,
# though 上限 / top of alone only names one end of a range.
AT_TOP_OF_RANGE = _c(r"以[^，。；]{0,24}?(?:定价|招股价|发售价|价格|区间)?(?:的)?上限(?:定价|发行|发售|定价发行|招股)",
                     r"(?:定价|定)(?:于|在)(?:招股价|发售价|价格区间|招股区间|区间)?(?:的)?上限",
                     r"priced (?:\w+ ){0,3}?at the top",
                     r"pric(?:ed|ing) [^.;]{0,40}?(?:at )?the top (?:end )?of (?:the |its )?(?:\w+ )?range")
# The institutions in the book: its own metric, never valid applications.
INSTITUTIONS = _c(r"机构", r"institution", r"institutional investors")
# Brokers whose grey-market sessions coverage quotes (folded: Simplified, lower case).
BROKERS = {
    "辉立": "Phillip Securities", "phillip": "Phillip Securities", "富途": "Futu", "futu": "Futu",
    "耀才": "Bright Smart Securities", "bright smart": "Bright Smart Securities", "利弗莫尔": "Livermore Holdings",
    "livermore": "Livermore Holdings", "华盛": "Valuable Capital", "valuable capital": "Valuable Capital",
    "老虎": "Tiger Brokers", "tiger brokers": "Tiger Brokers", "致富": "Chief Securities",
    "chief securities": "Chief Securities", "盈立": "uSMART", "usmart": "uSMART", "长桥": "Longbridge",
    "longbridge": "Longbridge",
}
BROKER = re.compile("|".join(re.escape(k) for k in sorted(BROKERS, key=len, reverse=True)))
# A per-lot paper gain or loss ("每手账面赚 4250 港元", "a paper gain of HK$4,250 per lot").
LOT_GAIN = _c(r"赚", r"获利", r"盈利", r"\bgain", r"profit", r"\bmake", r"\bmade", r"\bearn")
LOT_LOSS = _c(r"蚀", r"亏", r"\blos[es]", r"\blost")
