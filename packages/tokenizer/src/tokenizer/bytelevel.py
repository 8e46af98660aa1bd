"""GPT-2's byte-level alphabet: each of the 256 bytes is written as one printable unicode character.

``vocab.json`` and ``merges.txt`` store tokens in this alphabet (``Ġ`` is the space byte 0x20), so turning a
token string back into raw bytes, or building tiktoken's ``bytes -> rank`` table, goes through this mapping.

Usage: ``token_bytes("Ġthe") == b" the"``
"""

from __future__ import annotations

from functools import cache


@cache
def byte_to_unicode() -> dict[int, str]:
    """GPT-2's table: printable Latin-1 bytes map to themselves, the other 68 to U+0100 upwards (in byte order)."""
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table = {b: chr(b) for b in keep}
    n = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + n)
            n += 1
    return table


@cache
def unicode_to_byte() -> dict[str, int]:
    """Inverse of ``byte_to_unicode``."""
    return {c: b for b, c in byte_to_unicode().items()}


@cache
def _to_latin1() -> dict[int, int]:
    """``str.translate`` table: alphabet characters to their byte's code point; the 68 raw characters the
    alphabet replaces (space, controls...) to U+FFFF so that encoding them to Latin-1 fails."""
    table = {ord(c): b for c, b in unicode_to_byte().items()}
    for b in range(256):
        if chr(b) not in unicode_to_byte():
            table[b] = 0xFFFF
    return table


def token_bytes(token: str) -> bytes:
    """Raw bytes of a byte-level token string; ``KeyError`` if it uses a character outside the alphabet."""
    try:
        return token.translate(_to_latin1()).encode("latin-1")
    except UnicodeEncodeError:
        raise KeyError(token) from None


def tokens_bytes(tokens: list[str]) -> list[bytes]:
    """``token_bytes`` of many tokens in one ``translate`` (each alphabet character is exactly one byte)."""
    try:
        data = "".join(tokens).translate(_to_latin1()).encode("latin-1")
    except UnicodeEncodeError:
        raise KeyError("a token uses a character outside the byte alphabet") from None
    out, pos = [], 0
    for t in tokens:
        out.append(data[pos : pos + len(t)])
        pos += len(t)
    return out


def is_byte_level(token: str) -> bool:
    """True when every character of ``token`` belongs to the byte-level alphabet."""
    return set(token) <= _alphabet()


@cache
def _alphabet() -> frozenset[str]:
    return frozenset(unicode_to_byte())
