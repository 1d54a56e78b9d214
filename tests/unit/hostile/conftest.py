# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the adversarial suite, and its figures printed at the end of the run."""

from __future__ import annotations

import json
import os

import pytest

from hostile_harness import FIGURES


@pytest.fixture
def fake_root(tmp_path):
    """An install root: ``sbin``, ``etc``, ``var``, ``var/logs`` and ``bin``, nothing in them."""
    root = tmp_path / 'mgr5'
    for sub in ('sbin', 'etc', 'var', 'var/logs', 'bin'):
        (root / sub).mkdir(parents=True)
    return root


def pytest_terminal_summary(terminalreporter):
    if not FIGURES['tried']:
        return
    line = ('hostile suite: %(tried)d cases tried, %(refused)d refused with a message naming the option or file, '
            '%(handled)d handled correctly' % FIGURES)
    terminalreporter.write_line(line)
    build = os.path.join(os.path.dirname(__file__), '..', '..', '..', '.build')
    if os.path.isdir(build):
        with open(os.path.join(build, 'hostile-figures.json'), 'w') as handle:
            json.dump(FIGURES, handle, indent=2, sort_keys=True)
