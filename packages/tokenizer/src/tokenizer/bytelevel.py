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


def token_bytes(token: str) -> bytes:
    """Raw bytes of a byte-level token string; ``KeyError`` if it uses a character outside the alphabet."""
    table = unicode_to_byte()
    return bytes(table[c] for c in token)


def is_byte_level(token: str) -> bool:
    """True when every character of ``token`` belongs to the byte-level alphabet."""
    table = unicode_to_byte()
    return all(c in table for c in token)
