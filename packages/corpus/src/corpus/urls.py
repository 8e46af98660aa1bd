"""URL normalisation, the one owner for every corpus build: the canonical form of a URL and its dedup key.

- ``normalize_url``: the canonical absolute http(s) URL (what OpenWebText mines and looks up in the CDX index).
- ``url_key``: the exact-dedup key of any URL (no scheme, no ``www.``, sorted query, no trailing slash), used
  by the URL dedup stage of every build and by OpenWebText's URL mining.

Both drop the same tracking query parameters, ``TRACKING_PARAMS`` (a parameter is dropped when its
lower-cased name starts with one of them).

Usage: ``url = normalize_url("HTTP://WWW.Example.com/a?utm_source=x")``; ``key = url_key(url)``
"""

from __future__ import annotations

import html
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query-parameter name prefixes that only track the click (campaign, referrer, ad and mail ids). They are
# prefixes: "utm_" covers every campaign field, "ref" covers "ref_src" (and "referrer", "ref_id"...).
TRACKING_PARAMS: tuple[str, ...] = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ref", "cmpid")
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    """Whether the query parameter ``name`` is a tracking parameter (see ``TRACKING_PARAMS``)."""
    return name.lower().startswith(TRACKING_PARAMS)


def normalize_url(url: str) -> str | None:
    """Canonical form of a URL, or ``None`` if it is not an absolute http(s) URL.

    Unescapes HTML entities (Pushshift's ``&amp;``), lower-cases scheme and host, drops default ports, the
    fragment and tracking parameters (utm_*, fbclid...), and gives an empty path as ``/``.
    """
    url = html.unescape(url.strip())
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in DEFAULT_PORTS or not host or " " in host:
        return None
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query, doseq=True), ""))


def url_key(url: str) -> str:
    """Exact-dedup key: no scheme, lower-case host without ``www.``, no fragment, no trailing slash,
    tracking query parameters dropped and the rest sorted (``http://www.x.com/a/`` and ``https://x.com/a``
    share one key)."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    query = sorted((k, v) for k, v in parse_qsl(parts.query) if not is_tracking_param(k))
    path = parts.path.rstrip("/") or "/"
    return f"{host}{path}" + (f"?{urlencode(query)}" if query else "")
