"""Scenario files and the fault registry: what is accepted, what is refused and how it is said."""

from __future__ import annotations

from pathlib import Path

import pytest

from billmgr_lab import faults, scenario
from billmgr_lab.scenario import ScenarioError, load_scenario, parse_scenario

INVALID = scenario.SCENARIO_DIR / 'invalid'

# Every file under scenarios/invalid/ and the words its error must carry (file name is always checked).
INVALID_EXPECTED = {
    'bad-checkevent-form.yml': ('host bm01', 'checkevent_form', 'plain or wrapper'),
    'bad-host-name.yml': ("host 'BM_01'", 'lowercase'),
    'bad-log-size.yml': ('defaults', 'log_size', '10X'),
    'bad-os.yml': ('host bm01', 'faults.os_unsupported', 'version_id'),
    'bad-role.yml': ('host bm01', 'role', 'master'),
    'conflicting-license.yml': ('host bm01', 'faults.license_expired', 'license_unlinked'),
    'drift-standalone.yml': ('host bm01', 'faults.drift', 'reseller'),
    'duplicate-host.yml': ("key 'bm01' is given twice", 'line 3'),
    'fault-in-defaults.yml': ('defaults', 'license_unlinked', 'per host'),
    'huge-number.yml': ('host bm01', 'faults.error_burst', 'out of range'),
    'negative-count.yml': ('host bm01', 'faults.payments_stuck', '-3'),
    'not-yaml.yml': ('not valid YAML',),
    'provider-not-provider.yml': ('host bm02', 'provider', "'bm01' has role standalone"),
    'reseller-without-provider.yml': ('host bm01', 'provider', 'needs provider'),
    'unknown-fault.yml': ('host bm01', 'faults.license_unlinkd: unknown fault;', 'license_unlinked'),
    'unknown-host-key.yml': ('host bm01', 'fault', 'unknown key'),
    'unknown-provider.yml': ('host bm01', 'provider', "'bm09' is not a host"),
    'unknown-top-key.yml': ('host', 'unknown key'),
    'wrong-type.yml': ('host bm01', 'faults.clock_skew', "'soon'"),
}


def test_every_invalid_file_has_an_expectation():
    assert sorted(path.name for path in INVALID.glob('*.yml')) == sorted(INVALID_EXPECTED)


@pytest.mark.parametrize('name', sorted(INVALID_EXPECTED))
def test_invalid_scenario_refused_naming_file_host_and_key(name):
    path = INVALID / name
    with pytest.raises(ScenarioError) as caught:
        load_scenario(str(path))
    message = str(caught.value)
    assert message.startswith(str(path) + ':')
    for words in INVALID_EXPECTED[name]:
        assert words in message


def test_default_scenario_is_three_healthy_hosts():
    fleet = load_scenario(None)
    assert [host.name for host in fleet.hosts] == ['bm01', 'bm02', 'bm03']
    assert [host.index for host in fleet.hosts] == [1, 2, 3]
    assert all(host.faults == {} and host.role == 'standalone' for host in fleet.hosts)
    assert fleet.source == str(scenario.DEFAULT_SCENARIO)


def test_demo_scenario_has_the_faults_the_demo_shows():
    fleet = load_scenario('demo')
    assert fleet.host('bm01').faults == {}
    assert fleet.host('bm02').faults == {'license_unlinked': True, 'clock_skew': 5400,
                                         'checkevent_missing': True, 'debug_left_on': 'billmgr',
                                         'panel_cert_expiring': 10, 'panel_cert_wrong_name': True, 'error_burst': 6}
    assert fleet.host('bm03').faults == {'inode_pressure': 98, 'payments_stuck': 3, 'error_burst': 25,
                                         'early_stop_money': 1, 'early_stop_addon': 1, 'panel_down': True}
    # The fleet views: the same error on two hosts, a host a version behind, drift read over the API.
    assert fleet.host('bm02').settings['platform_version'] != fleet.host('bm01').settings['platform_version']
    reseller = fleet.host('bm05')
    assert (reseller.role, reseller.provider, fleet.host('bm04').role) == ('reseller', 'bm04', 'provider')
    assert reseller.settings['provider_in_inventory'] is False and reseller.faults == {'drift': 2}


def test_faults_all_has_every_fault_at_its_true_value():
    fleet = load_scenario('faults-all')
    seen = {}
    for host in fleet.hosts:
        for name, value in host.faults.items():
            seen.setdefault(name, []).append(value)
    for option in faults.FAULTS:
        assert seen.get(option.name) == [option.when_true], option.name
    reseller = fleet.host('reseller')
    assert (reseller.role, reseller.provider, fleet.host('provider').role) == ('reseller', 'provider', 'provider')


def test_padding_adds_healthy_hosts_and_skips_taken_names():
    data = {'defaults': {'log_size': '64K'}, 'hosts': {'bm02': {'faults': {'trial_used': True}}, 'web': None}}
    fleet = parse_scenario(data, 'pad.yml', hosts=5)
    assert [host.name for host in fleet.hosts] == ['bm02', 'web', 'bm01', 'bm03', 'bm04']
    assert [host.index for host in fleet.hosts] == [1, 2, 3, 4, 5]
    assert fleet.host('bm04').faults == {}
    assert fleet.host('bm04').settings['log_size'] == 64 * 1024


def test_fewer_hosts_than_listed_is_refused():
    with pytest.raises(ScenarioError, match=r'pad\.yml: hosts: the scenario lists 2 hosts, more than the 1'):
        parse_scenario({'hosts': {'bm01': {}, 'bm02': {}}}, 'pad.yml', hosts=1)


@pytest.mark.parametrize('hosts', [0, -1, 201, True, '3'])
def test_a_bad_number_of_hosts_is_refused(hosts):
    with pytest.raises(ScenarioError, match='pad.yml: hosts: the number of hosts'):
        parse_scenario({'hosts': {}}, 'pad.yml', hosts=hosts)


def test_no_hosts_at_all_is_refused():
    with pytest.raises(ScenarioError, match='empty.yml: hosts: the scenario has no hosts'):
        parse_scenario(None, 'empty.yml')


def test_settings_defaults_role_defaults_and_overrides():
    data = {'defaults': {'log_size': '10M', 'restart_delay': 1},
            'hosts': {'p': {'role': 'provider'},
                      'r': {'role': 'reseller', 'provider': 'p', 'log_size': 65536},
                      's': {'itemevent_backlog': 2, 'checkevent_form': 'wrapper', 'log_color': True}}}
    fleet = parse_scenario(data, 'settings.yml')
    provider, reseller, standalone = fleet.hosts
    assert provider.settings == {'log_size': 10 * 1024 ** 2, 'log_color': False, 'log_year_boundary': False,
                                 'rotated_archives': 1, 'checkevent_form': 'plain', 'restart_delay': 1.0,
                                 'itemevent_backlog': 0, 'module_logs_utc': False, 'schema': 'lab',
                                 'payments_abandoned': 0, 'checkevent_minutes': 5,
                                 'platform_version': '6.112.0', 'provider_in_inventory': True}
    assert reseller.settings['log_size'] == 65536 and reseller.settings['itemevent_backlog'] == 4
    assert isinstance(reseller.settings['restart_delay'], float)
    assert standalone.settings['itemevent_backlog'] == 2
    assert standalone.settings['checkevent_form'] == 'wrapper' and standalone.settings['log_color'] is True
    assert fleet.resellers_of('p') == [reseller]


def test_true_resolves_to_the_registry_default_and_false_or_zero_is_off():
    data = {'hosts': {'bm01': {'faults': {
        'clock_skew': True, 'disk_pressure': True, 'license_expiring': True, 'os_unsupported': True,
        'debug_left_on': True, 'payments_stuck': 0, 'trial_used': False, 'error_burst': False}}}}
    host = parse_scenario(data, 't.yml').host('bm01')
    assert host.faults == {'clock_skew': 5400, 'disk_pressure': 97, 'license_expiring': 5,
                           'os_unsupported': faults.CENTOS_7, 'debug_left_on': 'billmgr'}
    assert host.clock_skew == 5400


@pytest.mark.parametrize('value, expected', [
    ({'id': 'debian', 'version_id': 10, 'pretty_name': 'Debian GNU/Linux 10 (buster)'},
     {'id': 'debian', 'version_id': '10', 'pretty_name': 'Debian GNU/Linux 10 (buster)'}),
    ('pmvmmgr6.log', 'pmvmmgr6'),
    (-7200, -7200),
])
def test_values_of_other_forms_are_accepted(value, expected):
    name = {dict: 'os_unsupported', str: 'debug_left_on', int: 'clock_skew'}[type(value)]
    host = parse_scenario({'hosts': {'bm01': {'faults': {name: value}}}}, 't.yml').host('bm01')
    assert host.faults[name] == expected


@pytest.mark.parametrize('body, words', [
    ({'faults': {'payments_stuck': 2.5}}, 'faults.payments_stuck: takes an integer'),
    ({'faults': {'license_unlinked': 'yes please'}}, 'faults.license_unlinked: takes true or false'),
    ({'faults': {'license_unlinked': 1}}, 'faults.license_unlinked: takes true or false'),
    ({'faults': {'clock_skew': 400 * 86400 + 1}}, 'faults.clock_skew: 34560001 is out of range'),
    ({'faults': {'disk_pressure': 101}}, 'faults.disk_pressure: 101 is out of range'),
    ({'faults': {'debug_left_on': '../etc/passwd'}}, 'faults.debug_left_on: takes true, false or a log name'),
    ({'faults': {'os_unsupported': {'id': 'centos', 'version_id': 8.1, 'pretty_name': 'x'}}},
     'faults.os_unsupported: version_id must be a quoted string'),
    ({'faults': {'os_unsupported': {'id': 'a"b', 'version_id': '1', 'pretty_name': 'x'}}},
     'faults.os_unsupported: id must be a quoted string'),
    ({'faults': {'license_expiring': 5, 'license_expired': True}}, 'faults.license_expired: cannot be combined'),
    ({'faults': ['license_unlinked']}, 'faults: takes a mapping'),
    ({'faults': {'log_size': '1M'}}, 'faults.log_size: unknown fault (a setting: put it beside faults:)'),
    ({'license_unlinked': True}, 'license_unlinked: unknown key (a fault: put it under faults:)'),
    ({'rotated_archives': True}, 'rotated_archives: takes an integer from 0 to 20'),
    ({'rotated_archives': 21}, 'rotated_archives: 21 is out of range'),
    ({'restart_delay': -1}, 'restart_delay: -1 is out of range'),
    ({'restart_delay': 'fast'}, "restart_delay: takes a number from 0 to 600, not 'fast'"),
    ({'itemevent_backlog': 501}, 'itemevent_backlog: 501 is out of range'),
    ({'log_size': '1K'}, "log_size: '1K' is out of range"),
    ({'log_size': '3G'}, "log_size: '3G' is out of range"),
    ({'log_color': 'on'}, "log_color: takes true or false, not 'on'"),
    ({'provider': 'bm02'}, 'provider: only a reseller has a provider'),
    ({'provider': 7}, 'provider: takes the name of a host'),
    ({'role': 'provider', 'faults': {'drift': 1}}, 'faults.drift: only a reseller can have it'),
    (['faults'], 'takes a mapping (role, provider, faults, settings)'),
])
def test_bad_host_values_are_refused_with_file_host_and_key(body, words):
    data = {'hosts': {'bm01': body, 'bm02': {}}}
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data, 'bad.yml')
    assert str(caught.value).startswith('bad.yml: host bm01')
    assert words in str(caught.value)


@pytest.mark.parametrize('data, words', [
    ([1, 2], 'bad.yml: a scenario is a mapping with hosts:, not list'),
    ({'hosts': ['bm01']}, 'bad.yml: hosts: takes a mapping of host name to host, not list'),
    ({'defaults': ['log_size'], 'hosts': {'bm01': {}}}, 'bad.yml: defaults: takes a mapping of settings'),
    ({'defaults': {'role': 'reseller'}, 'hosts': {'bm01': {}}}, 'bad.yml: defaults: role: unknown setting;'),
    ({'description': 5, 'hosts': {'bm01': {}}}, 'bad.yml: description: takes a string'),
    ({'hosts': {f'h{n}': {} for n in range(201)}}, 'bad.yml: hosts: 201 hosts; the lab runs at most 200'),
    ({'hosts': {'a' * 32: {}}}, 'a host name is a lowercase letter'),
])
def test_bad_scenario_shapes_are_refused(data, words):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data, 'bad.yml')
    assert words in str(caught.value)


@pytest.mark.parametrize('seed', [-1, 2 ** 31, 'one', True])
def test_a_bad_seed_is_refused(seed):
    with pytest.raises(ScenarioError, match='seed: takes an integer'):
        parse_scenario({'hosts': {'bm01': {}}}, 'bad.yml', seed=seed)


def test_scenario_that_does_not_exist_is_named(tmp_path):
    missing = tmp_path / 'nope.yml'
    with pytest.raises(ScenarioError, match=f'{missing}: cannot read the scenario'):
        load_scenario(str(missing))
    with pytest.raises(ScenarioError, match='no-such-scenario: cannot read the scenario'):
        load_scenario('no-such-scenario')


def test_fleet_host_lookup_names_the_scenario():
    fleet = parse_scenario({'hosts': {'bm01': {}}}, 'x.yml', seed=7)
    assert fleet.seed == 7 and fleet.host('bm01').index == 1
    with pytest.raises(KeyError, match='bm09'):
        fleet.host('bm09')


def test_docs_table_lists_every_fault_and_setting_once():
    table = faults.markdown_table()
    for option in faults.FAULTS + faults.SETTINGS:
        assert table.count(f'| `{option.name}` |') == 1
    assert '(reseller only)' in table and '4 on a reseller' in table


def test_shipped_scenarios_all_load():
    for path in sorted(Path(scenario.SCENARIO_DIR).glob('*.yml')):
        assert load_scenario(str(path)).hosts, path


def test_platform_version_takes_a_dotted_version_only():
    fleet = parse_scenario({'hosts': {'a': {'platform_version': '6.110.0'}}}, 'versions.yml')
    assert fleet.hosts[0].settings['platform_version'] == '6.110.0'
    for bad in ('6.110.0; rm', 6.11, '', 'v6'):
        with pytest.raises(ScenarioError, match='platform_version'):
            parse_scenario({'hosts': {'a': {'platform_version': bad}}}, 'versions.yml')
