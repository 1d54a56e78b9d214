# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The level-word finder against ``bytes.find``, the answer it must give whatever libc does.

The C-string search borrows the byte at the region's end for a NUL during each call: these tests
check that it gives it back, and that NULs inside the region (a crash's runs of them) neither hide
a word after them nor make one up.
"""

from __future__ import annotations

import random

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._logs import logsearch
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logsearch import Finder

needs_libc = pytest.mark.skipif(logsearch._STRSTR is None or logsearch._MEMMEM is None,
                                reason='libc strstr/memmem not reachable through ctypes here')


def all_hits(finder, token, lo, hi):
    next_hit = finder.over(token, hi)
    found = []
    at = next_hit(lo)
    while at >= 0:
        found.append(at)
        at = next_hit(at + 1)
    return found


def reference_hits(data, token, lo, hi):
    found = []
    at = data.find(token, lo, hi)
    while at >= 0:
        found.append(at)
        at = data.find(token, at + 1, hi)
    return found


def random_buffer(rng, size):
    # Few letters, many NULs and level words: every edge (a word at the very start, cut by HI,
    # right after a NUL run, overlapping itself) comes up in a few hundred rounds.
    pieces = []
    while sum(len(piece) for piece in pieces) < size:
        pieces.append(rng.choice([b'ERROR', b'ERR', b'\x00', b'\x00' * rng.randint(2, 40), b' ', b'\n', b'R',
                                  b'ERRORERROR', b'xx']))
    return bytearray(b''.join(pieces)[:size])


@needs_libc
@pytest.mark.parametrize('seed', range(300))
def test_every_hit_is_the_one_bytes_find_gives(seed):
    rng = random.Random(seed)
    buf = random_buffer(rng, rng.randint(1, 400))
    before = bytes(buf)
    hi = rng.randint(0, len(buf))
    lo = rng.randint(0, hi)
    token = rng.choice([b'ERROR', b'R', b'RERR', b'\n'])
    finder = Finder(buf)
    try:
        assert all_hits(finder, token, lo, hi) == reference_hits(before, token, lo, hi)
    finally:
        finder.release()
    assert bytes(buf) == before


@needs_libc
def test_the_c_string_search_is_the_one_used_and_gives_the_end_byte_back(monkeypatch):
    calls = []
    real = logsearch._STRSTR

    def counting(address, token):
        calls.append(token)
        return real(address, token)
    monkeypatch.setattr(logsearch, '_STRSTR', counting)
    buf = bytearray(b'x ERROR y\n\x00\x00\x00ERROR\nERROR tail')
    finder = Finder(buf)
    try:
        hi = buf.index(b'\nERROR tail') + 1
        assert all_hits(finder, b'ERROR', 0, hi) == [2, 13]
    finally:
        finder.release()
    assert calls and set(calls) == {b'ERROR'}
    assert buf[hi:hi + 5] == b'ERROR'


@needs_libc
def test_a_region_reaching_the_buffer_end_is_searched_without_a_c_string():
    buf = bytearray(b'ab ERROR\x00ERROR')
    finder = Finder(buf)
    try:
        assert all_hits(finder, b'ERROR', 0, len(buf)) == [3, 9]
    finally:
        finder.release()


def test_without_libc_bytes_find_answers():
    buf = bytearray(b'ERROR\x00ERROR ERROR')
    finder = Finder(buf, use_libc=False)
    assert all_hits(finder, b'ERROR', 1, len(buf) - 1) == [6]
