# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A pytest plugin: where the golden corpus is, for the golden tests of every topic."""

from __future__ import annotations

from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parents[1] / 'golden'


@pytest.fixture
def golden():
    """``golden('runbook000/referral.sql')`` -> the sample's text."""
    return lambda relative: (GOLDEN / relative).read_text(encoding='utf-8')
