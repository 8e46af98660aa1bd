"""Decide which Reddit submissions become OpenWebText URLs (URL normalisation itself is ``corpus.urls``).

OpenWebText (Gokaslan & Cohen 2019, after GPT-2's WebText) keeps link posts with score (karma) >= 3 and drops
self posts, media/file links and a domain blocklist; URLs are then deduplicated. ``check_submission`` returns
the reason a submission is dropped (``None`` keeps it), so every drop is counted by reason.

Usage: ``reason = check_submission(sub, UrlFilterConfig()); url = normalize_url(sub["url"])``
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from corpus.urls import normalize_url, url_key

# Domains whose links are media, social or Reddit itself: no article text behind them. The top of
# shared/data/openwebtext_inputs/domain_stats_3million_links.txt (reddit, imgur, youtube dominate).
DEFAULT_BLOCKLIST: tuple[str, ...] = (
    "reddit.com", "redd.it", "redditmedia.com", "imgur.com", "youtube.com", "youtu.be", "gfycat.com",
    "twitter.com", "x.com", "instagram.com", "facebook.com", "twitch.tv", "soundcloud.com", "spotify.com",
    "streamable.com", "giphy.com", "flickr.com", "vimeo.com", "tumblr.com", "pinterest.com",
    "deviantart.com", "pornhub.com", "xvideos.com", "vid.me", "liveleak.com", "dailymotion.com",
)  # fmt: skip

# File extensions that are never an HTML article (images, video, audio, documents, archives, binaries).
MEDIA_EXTENSIONS: tuple[str, ...] = (
    ".jpg", ".jpeg", ".png", ".gif", ".gifv", ".bmp", ".svg", ".webp", ".tif", ".tiff", ".ico",
    ".mp4", ".webm", ".avi", ".mov", ".mkv", ".flv", ".wmv", ".mpg", ".mpeg", ".m4v",
    ".mp3", ".wav", ".ogg", ".flac", ".m4a", ".aac",
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".ps", ".djvu",
    ".zip", ".rar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".tar", ".exe", ".dmg", ".apk", ".iso", ".bin", ".torrent",
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class UrlFilterConfig:
    """Which submissions are kept: the OpenWebText recipe's values as defaults."""

    min_score: int = 3  # Reddit karma threshold of WebText / OpenWebText
    blocklist: tuple[str, ...] = DEFAULT_BLOCKLIST  # a domain blocks itself and all its subdomains
    media_extensions: tuple[str, ...] = MEDIA_EXTENSIONS
    drop_over_18: bool = False  # the original recipe kept NSFW posts; set True to drop them
    extra_blocklist: tuple[str, ...] = field(default=())

    def blocked_domains(self) -> frozenset[str]:
        """Every blocked domain, lower-cased, without a leading ``www.``."""
        return frozenset(
            _strip_www(d.strip().lower()) for d in (*self.blocklist, *self.extra_blocklist) if d.strip()
        )


def read_blocklist(path: str | Path) -> tuple[str, ...]:
    """Read a blocklist file: one domain a line, ``#`` comments and blank lines ignored."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return tuple(s for s in (ln.split("#", 1)[0].strip() for ln in lines) if s)


def _strip_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def url_hash(normalized: str) -> int:
    """64-bit hash of ``url_key`` (stable across runs and machines; picks the dedup bucket)."""
    return int.from_bytes(hashlib.blake2b(url_key(normalized).encode("utf-8"), digest_size=8).digest(), "big")


def _host_blocked(host: str, blocked: frozenset[str]) -> bool:
    labels = _strip_www(host).split(".")
    return any(".".join(labels[i:]) in blocked for i in range(len(labels) - 1))


def check_submission(
    sub: dict[str, Any], config: UrlFilterConfig, blocked: frozenset[str] | None = None
) -> str | None:
    """Return why ``sub`` is dropped (``self_post``, ``low_score``, ``bad_url``, ``media``, ``blocked_domain``,
    ``over_18``) or ``None`` to keep it. Pass ``blocked`` (``config.blocked_domains()``) in hot loops."""
    if sub.get("is_self") or str(sub.get("domain", "")).startswith("self."):
        return "self_post"
    score = sub.get("score")
    if not isinstance(score, (int, float)) or score < config.min_score:
        return "low_score"
    if config.drop_over_18 and sub.get("over_18"):
        return "over_18"
    url = normalize_url(str(sub.get("url") or ""))
    if url is None:
        return "bad_url"
    parts = urlsplit(url)
    if sub.get("is_video") or parts.path.lower().endswith(config.media_extensions):
        return "media"
    blocked = blocked if blocked is not None else config.blocked_domains()
    if _host_blocked(parts.hostname or "", blocked):
        return "blocked_domain"
    return None
