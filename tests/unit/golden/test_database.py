# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runbook 000's SQL against the named queries and the lab's schema variants.

Each sample is the query the runbook types; the named query that answers the same question must
need no name the sample does not name, and the minimal variant is made of what these samples name.
That each sample runs exactly where its named query is supported is checked on a real server in
tests/database/test_golden_sql.py.
"""

from __future__ import annotations

import re
import shlex

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._database.dbconf import DEFAULTS
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import mgrctl_argv
from ansible_collections.billmgr.ops.plugins.module_utils._database.mysqlcli import CLIENT_NAMES
from ansible_collections.billmgr.ops.plugins.module_utils._database.queries import QUERIES, missing

from billmgr_lab import dbseed
from runbook_sql import SAMPLES

KEYWORDS = {'select', 'from', 'where', 'in', 'and', 'or', 'id'}
_WORD_RE = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')


def named(text):
    """The tables and ``table.column`` names a sample names (a word is a column of a table it names
    when the lab's schema has that column there)."""
    words = [word.lower() for word in _WORD_RE.findall(text.replace('\\G', ' '))]
    tables = set(word for before, word in zip(words, words[1:]) if before == 'from')
    # A word may be a table and a column (`select pricelist from item`): keep both readings.
    columns = set(word for word in words if word not in KEYWORDS) | ({'id'} if ' id' in text.lower() else set())
    names = set(tables)
    every = dbseed.variant_columns('lab')
    for table in tables:
        names.update('%s.%s' % (table, column) for column in columns if column in every.get(table, ()))
    return names


@pytest.mark.parametrize('sample', sorted(SAMPLES))
def test_the_named_query_needs_nothing_the_runbook_does_not_name(golden, sample):
    names = named(golden('runbook000/' + sample))
    query = QUERIES[SAMPLES[sample]]
    assert missing(query, names) == [], (sample, names)


@pytest.mark.parametrize('sample', sorted(SAMPLES))
def test_the_minimal_schema_holds_what_each_sample_names(golden, sample):
    minimal = dbseed.variant_columns('minimal')
    for name in named(golden('runbook000/' + sample)):
        table, _dot, column = name.partition('.')
        assert table in minimal and (not column or column in minimal[table]), (sample, name)


def test_select_star_samples_are_select_star_queries(golden):
    for sample, name in SAMPLES.items():
        text = golden('runbook000/' + sample).lower()
        assert text.startswith('select * ') == bool(QUERIES[name].star), sample


def test_the_connect_sample_is_the_default_database_and_client(golden):
    client, database = shlex.split(golden('runbook000/mysql_connect_command.txt'))
    assert client in CLIENT_NAMES and database == DEFAULTS['DBName']


def test_the_checkpay_sample_is_the_command_remediate_runs(golden):
    expected = shlex.split(golden('runbook000/checkpay_command.txt'))
    assert mgrctl_argv('/usr/local/mgr5/sbin/mgrctl', 'billmgr', 'paymethod.checkpay') == expected
