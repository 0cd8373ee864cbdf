"""Comparing secrets without leaking how much of a guess was right."""


def same(a, b):
    """a == b for two strings, in a time that depends on their lengths only (not on where they
    first differ). The lengths compared here (tokens, hex digests) are public anyway."""
    if len(a) != len(b):
        return False
    diff = 0
    for i in range(len(a)):
        diff |= ord(a[i]) ^ ord(b[i])
    return diff == 0
