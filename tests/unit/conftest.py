# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures every unit test may use: the plugins of tests/support (on PYTHONPATH through the
Makefile) and the ones below."""

from __future__ import annotations

import time

import pytest

pytest_plugins = ('module_runner', 'golden_corpus')


@pytest.fixture
def host_zone(monkeypatch):
    """``host_zone('XXX-3')`` pins the process's local time zone (a POSIX TZ needs no tz database)
    for the test, and the real one comes back after it."""
    def pin(zone):
        monkeypatch.setenv('TZ', zone)
        time.tzset()
    yield pin
    monkeypatch.undo()
    time.tzset()
