"""One key per sponsor firm, whatever language or legal form a document names it in.

"Morgan Stanley Asia Limited", "摩根士丹利亞洲有限公司" and "Morgan Stanley" are one
sponsor in `v_sponsor_record`. The key is the firm's short English name, lower
case: legal suffixes and the regional entity ("(Hong Kong)", "Asia",
"Corporate Finance", "Capital") are dropped, then known Chinese and English
spellings are mapped onto one name. A name we do not know keeps its own
(suffix-stripped) key: better two rows for one firm than one row for two.
"""

from __future__ import annotations

import re

from hkipo.core.textnorm import fold

# folded (Simplified, lower case) prefix -> key; longest prefix wins
_ALIASES: dict[str, str] = {
    "摩根士丹利": "morgan stanley", "morgan stanley": "morgan stanley",
    "高盛": "goldman sachs", "goldman sachs": "goldman sachs",
    "摩根大通": "j.p. morgan", "j.p. morgan": "j.p. morgan", "jp morgan": "j.p. morgan", "jpmorgan": "j.p. morgan",
    "瑞银": "ubs", "ubs": "ubs",
    "汇丰": "hsbc", "香港上海汇丰银行": "hsbc", "hsbc": "hsbc", "the hongkong and shanghai banking": "hsbc",
    "花旗": "citigroup", "citigroup": "citigroup", "citi": "citigroup",
    "美银": "bofa securities", "bofa securities": "bofa securities", "merrill lynch": "bofa securities",
    "杰富瑞": "jefferies", "jefferies": "jefferies",
    "德意志银行": "deutsche bank", "deutsche bank": "deutsche bank",
    "瑞士信贷": "credit suisse", "credit suisse": "credit suisse",
    "中信证券": "citic securities", "citic securities": "citic securities",
    "中信里昂": "clsa", "clsa": "clsa",
    "中国国际金融": "cicc", "中金": "cicc", "cicc": "cicc", "china international capital corporation": "cicc",
    "华泰": "huatai", "huatai": "huatai", "htsc": "huatai",
    "招银国际": "cmbi", "cmb international": "cmbi", "cmbi": "cmbi",
    "招商证券": "china merchants securities", "china merchants securities": "china merchants securities",
    "cms": "china merchants securities",
    "建银国际": "ccbi", "ccb international": "ccbi", "ccbi": "ccbi",
    "工银国际": "icbci", "icbc international": "icbci", "icbci": "icbci",
    "中银国际": "boci", "boc international": "boci", "boci": "boci",
    "农银国际": "abci", "abc international": "abci", "abci": "abci",
    "广发": "gf securities", "gf securities": "gf securities", "gfshk": "gf securities",
    "国泰君安": "guotai junan", "guotai junan": "guotai junan", "gtja": "guotai junan",
    "国泰海通": "guotai haitong", "guotai haitong": "guotai haitong",
    "海通": "haitong", "haitong": "haitong",
    "中信建投": "china securities international", "china securities international": "china securities international",
    "csci": "china securities international",
    "申万宏源": "shenwan hongyuan", "shenwan hongyuan": "shenwan hongyuan",
    "光大": "everbright", "everbright": "everbright",
    "富途": "futu", "futu": "futu", "老虎": "tiger brokers", "tiger brokers": "tiger brokers",
    "野村": "nomura", "nomura": "nomura", "麦格理": "macquarie", "macquarie": "macquarie",
    "星展": "dbs", "dbs": "dbs", "渣打": "standard chartered", "standard chartered": "standard chartered",
    "巴克莱": "barclays", "barclays": "barclays", "法国巴黎": "bnp paribas", "bnp paribas": "bnp paribas",
}
_PREFIXES = sorted(_ALIASES, key=len, reverse=True)
_SUFFIXES = re.compile(
    r"(?:[\s,]*(?:\(|（)?(?:hong\s*kong|香港|asia(?:\s*pacific)?|亚洲|far east|远东)(?:\)|）)?"
    r"|[\s,]*(?:corporate finance|capital|securities|financial holdings|holdings|international)"
    r"|[\s,]*(?:limited|ltd\.?|llc|plc|inc\.?|co\.,?|company|corporation)"
    r"|(?:有限责任公司|有限公司)|(?:企业融资|融资|证券|金融控股|控股|资本|国际))+\s*$")


def sponsor_key(name: str) -> str:
    """The normalised key of a sponsor's name (see the module docstring)."""
    f = re.sub(r"\s+", " ", fold(name)).strip().strip(".,;")
    for p in _PREFIXES:
        if f.startswith(p) and (len(f) == len(p) or not f[len(p)].isalnum() or not p.isascii()):
            return _ALIASES[p]
    stripped = _SUFFIXES.sub("", f).strip(" ,.")
    return stripped or f
