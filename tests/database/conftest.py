# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests that start a real MariaDB of their own (a data directory and a socket in the test's
temporary tree, no network, no lab lock): the modules' and the sweep's SQL against the lab's
schema variants and seed rows. They share the unit tests' plugins from tests/support."""

from __future__ import annotations

pytest_plugins = ('module_runner', 'golden_corpus')
