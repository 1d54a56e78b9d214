# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings of the panel check, through the sweep's host_findings."""

from __future__ import annotations

from ansible_collections.billmgr.ops.plugins.plugin_utils._findings import host_findings


def facts(answers=True, panel_answers=True, days=200, matches=True, platform_answers=True):
    cert = {'subject_cn': 'bm01', 'issuer_cn': 'bm01', 'not_after': '2031-01-01T00:00:00Z', 'days_left': days,
            'dns_names': ['bm01'], 'ip_addresses': [], 'names_checked': ['bm01'], 'name_matches': matches}
    endpoint = {'address': '192.0.2.1', 'port': 1500, 'connect_to': '192.0.2.1', 'answers': panel_answers,
                'error': None if panel_answers else '192.0.2.1:1500: Connection refused', 'tls_version': 'TLSv1.3',
                'certificate': cert if panel_answers else None}
    return {'mgr_root': '/usr/local/mgr5',
            'platform': {'installed': True, 'answers': platform_answers, 'processes': {'core': 10, 'ihttpd': None}},
            'panel': {'config': '/usr/local/mgr5/etc/ihttpd.conf', 'config_found': True, 'assumed_default': False,
                      'answers': panel_answers, 'endpoints': [endpoint]}}


def ids(found):
    return [(f['id'], f['severity']) for f in found if f['id'].startswith('panel') or f['id'] == 'platform_down']


def test_a_healthy_panel_has_no_finding():
    assert ids(host_findings(facts())) == []


def test_a_panel_down_while_the_platform_answers_is_its_own_finding():
    found = host_findings(facts(panel_answers=False), host='bm01')
    assert ids(found) == [('panel_down', 'critical')]
    down = [f for f in found if f['id'] == 'panel_down'][0]
    assert '192.0.2.1:1500' in down['summary'] and 'ihttpd' in down['fix']
    assert down['evidence']['endpoints'][0]['error'].endswith('Connection refused')


def test_a_panel_down_with_the_platform_down_is_only_platform_down():
    assert ids(host_findings(facts(panel_answers=False, platform_answers=False))) == [('platform_down', 'critical')]


def test_certificate_expiry_thresholds_are_role_variables():
    assert ids(host_findings(facts(days=14))) == [('panel_cert_expiring', 'warning')]
    assert ids(host_findings(facts(days=3))) == [('panel_cert_expiring', 'critical')]
    assert ids(host_findings(facts(days=-2))) == [('panel_cert_expiring', 'critical')]
    assert ids(host_findings(facts(days=15))) == []
    assert ids(host_findings(facts(days=25), {'panel_cert_warning_days': 30, 'panel_cert_critical_days': 5})) == [
        ('panel_cert_expiring', 'warning')]


def test_a_certificate_for_another_name_is_a_warning():
    found = host_findings(facts(matches=False))
    assert ids(found) == [('panel_cert_name_mismatch', 'warning')]
    assert 'bm01' in found[0]['summary']
