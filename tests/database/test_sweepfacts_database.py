# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sweep's database section against a real MariaDB: schema variants, MariaDB's directories and
their space, and what went wrong when the database cannot be used, told by kind."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.hostfacts import FactsRequest
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import Runner, local_run_command
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import MgrLayout
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.sweepfacts import database_section
from ansible_collections.billmgr.ops.plugins.plugin_utils._findings import host_findings

from billmgr_lab import dbseed, mariadb

PASSWORD = 'sweep-pw-1'


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    with mariadb.running_server(tmp_path_factory.mktemp('sweepdb')) as instance:
        fleet = dbseed_fleet()
        seed = dbseed.build_seed(fleet.host('bm01'), fleet, datetime.now().replace(microsecond=0))
        for variant in dbseed.SCHEMA_NAMES:
            db = SimpleNamespace(name='sweep_' + variant, user='sweep_' + variant, password=PASSWORD)
            mariadb.create_host_database(instance.sql, db, dbseed.schema_sql(variant),
                                         dbseed.render_inserts(seed.tables, variant=variant))
        instance.sql("CREATE USER IF NOT EXISTS 'nogrant'@'localhost' IDENTIFIED BY '%s';\n"
                     "CREATE USER IF NOT EXISTS 'everywhere'@'localhost' IDENTIFIED BY '%s';\n"
                     "GRANT SELECT ON *.* TO 'everywhere'@'localhost';" % (PASSWORD, PASSWORD))
        yield instance


def dbseed_fleet():
    from billmgr_lab.scenario import parse_scenario
    return parse_scenario({'hosts': {'bm01': {'itemevent_backlog': 2, 'faults': {'payments_stuck': 1}}}})


def section(server, tmp_path, user, name, password=PASSWORD):
    (tmp_path / 'etc').mkdir(exist_ok=True)
    (tmp_path / 'etc' / 'billmgr.conf').write_text('DBHost %s\nDBUser %s\nDBPassword %s\nDBName %s\n'
                                                   % (server.socket, user, password, name))
    request = FactsRequest(MgrLayout(str(tmp_path)), Runner(local_run_command), stuck_payment_hours=2)
    request.find_tool = lambda tool: mariadb.CLIENT if tool == 'mariadb' else None
    return database_section(request)


def test_lab_schema_answers_every_look_up_with_the_servers_directories(server, tmp_path):
    found = section(server, tmp_path, 'sweep_lab', 'sweep_lab')
    assert found['unsupported'] == {} and found['query_errors'] == {}
    (method,) = found['payments_in_pay']
    assert (method['count'], method['over_hours'], method['paymethod_module']) == (1, 1, 'pmpaymaster')
    assert found['itemevent_backlog']['count'] == 2 and found['itemevent_backlog']['oldest_age_seconds'] > 0
    assert found['server']['datadir'].rstrip('/') == str(server.datadir) and found['server']['local'] is True
    holds = [role for entry in found['disk'] for role in entry['holds']]
    assert sorted(holds) == ['datadir', 'tmpdir'] and all(entry.get('used_pct') is not None for entry in found['disk'])
    assert PASSWORD not in repr(found)


def test_minimal_schema_reports_what_it_lacks_and_the_rest(server, tmp_path):
    found = section(server, tmp_path, 'sweep_minimal', 'sweep_minimal')
    assert found['unsupported'] == {'payments_in_pay': ['payment'], 'reselling_modules': ['processingmodule']}
    assert found['payments_in_pay'] is None and found['reselling_modules'] is None
    assert found['itemevent_backlog'] == {'count': 2, 'oldest': None, 'oldest_age_seconds': None}
    ids = {(f['id'], f['key']) for f in host_findings({'database': found})}
    assert ('query_unsupported', 'payments_in_pay') in ids and ('itemevent_backlog', '') in ids
    assert not {name for name, _key in ids} & {'database_unreachable', 'sweep_incomplete'}


@pytest.mark.parametrize('user, name, password, kind, finding', [
    ('sweep_lab', 'sweep_lab', 'wrong-pw', 'refused', 'database_unreachable'),
    # Logged in, but no rights on the database: error 1044, not a wrong password.
    ('nogrant', 'sweep_lab', PASSWORD, 'denied', 'database_access_denied'),
    # A user who may read every database learns that this one does not exist: error 1049.
    ('everywhere', 'no_such_db', PASSWORD, 'no_database', 'database_missing'),
])
def test_a_database_that_cannot_be_used_is_told_by_what_went_wrong(server, tmp_path, user, name, password, kind,
                                                                   finding):
    found = section(server, tmp_path, user, name, password)
    assert found['error_kind'] == kind, found
    (only,) = host_findings({'database': found})
    assert only['id'] == finding and only['severity'] == 'critical'
    assert 'wrong-pw' not in repr(found) and PASSWORD not in repr(found)
