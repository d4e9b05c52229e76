"""URLs as hkipo compares them: one canonical form per page, and the site a host belongs to.

Tracking parameters go (utm_*, spm, from, fbclid, ...), the query is sorted,
the fragment and default ports dropped (`canonical_url`), so one article
reached through several feeds is one URL.
"""

from __future__ import annotations

import functools
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import tldextract
from w3lib.url import canonicalize_url

# Query parameters that only say who sent the reader; they never change the page.
TRACKING_PARAMS = frozenset({
    "spm", "from", "fromsource", "from_source", "source", "src", "ref", "ref_src", "referrer", "share",
    "share_from", "share_token", "sharetoken", "scene", "isappinstalled", "fbclid", "gclid", "dclid",
    "msclkid", "igshid", "mc_cid", "mc_eid", "cmpid", "oc", "ocid", "ito", "wt.mc_id", "_ga", "xtor",
    "smid", "s_cid", "tt_from", "sessionid",
})
TRACKING_PREFIXES = ("utm_", "pk_", "hmsr", "ns_", "__")


def _tracking(key: str) -> bool:
    key = key.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The URL without tracking parameters, fragment or default port; query sorted; host lower case.

    w3lib's `canonicalize_url` (Scrapy's request fingerprints use it) sorts the
    query, drops the fragment and normalises case and percent-encoding; we drop
    the tracking parameters first (by name and prefix, any case, which
    `url_query_cleaner`'s exact-name list cannot), and the user part and a
    default port after.
    """
    parts = urlsplit(url.strip())
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)])
    canon = urlsplit(canonicalize_url(urlunsplit(parts._replace(query=query, fragment=""))))
    host = canon.hostname or ""
    port = canon.port
    if port and not ((canon.scheme == "http" and port == 80) or (canon.scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    return urlunsplit((canon.scheme, host, canon.path or "/", canon.query, ""))


@functools.cache
def _suffixes() -> tldextract.TLDExtract:
    # The public-suffix snapshot bundled with tldextract: never fetched, never cached to disk.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registered_domain(host: str) -> str:
    """The site a host belongs to (hket.com.hk for www.hket.com.hk), by the Public Suffix List.

    Hosts under no listed suffix (reserved test names such as .example) keep
    the last two labels; an IP address is its own site.
    """
    host = host.strip().lower().strip(".")
    parts = _suffixes()(host)
    if parts.ipv4 or parts.ipv6:
        return host
    if parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    return ".".join([p for p in host.split(".") if p][-2:])
