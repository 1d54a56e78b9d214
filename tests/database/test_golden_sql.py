# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runbook 000's SQL on a real server, against every schema variant of the lab: each sample runs
exactly where the named query that answers the same question is supported."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._database.queries import QUERIES, missing

from billmgr_lab import dbseed, mariadb
from runbook_sql import SAMPLES, runnable


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    with mariadb.running_server(tmp_path_factory.mktemp('golden-db')) as instance:
        for variant in dbseed.SCHEMA_NAMES:
            db = SimpleNamespace(name='golden_' + variant, user='golden_' + variant, password='golden-pw')
            mariadb.create_host_database(instance.sql, db, dbseed.schema_sql(variant), '')
        yield instance


def variant_names(variant):
    names = set()
    for table, columns in dbseed.variant_columns(variant).items():
        names.add(table)
        names.update('%s.%s' % (table, column) for column in columns)
    return names


@pytest.mark.parametrize('variant', dbseed.SCHEMA_NAMES)
@pytest.mark.parametrize('sample', sorted(SAMPLES))
def test_a_sample_runs_exactly_where_its_named_query_is_supported(golden, server, variant, sample):
    supported = not missing(QUERIES[SAMPLES[sample]], variant_names(variant))
    try:
        server.sql(runnable(golden('runbook000/' + sample)), 'golden_' + variant)
        ran = True
    except mariadb.MariaDBError as exc:
        assert re.search(r'ERROR (1054|1146)', str(exc)), exc
        ran = False
    assert ran == supported, (sample, variant)
    if variant in ('lab', 'minimal'):
        assert ran, 'the minimal schema is made of what the runbook names'
