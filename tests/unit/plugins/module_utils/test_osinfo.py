# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.osinfo import (
    DEFAULT_SUPPORTED,
    SupportedOsError,
    is_supported,
    normalize_supported,
    os_facts,
    parse_legacy_release,
    parse_os_release,
    read_release,
    version_matches,
)

ALMA = '''NAME="AlmaLinux"
VERSION="9.4 (Seafoam Ocelot)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PRETTY_NAME="AlmaLinux 9.4 (Seafoam Ocelot)"
'''

# Debian and Ubuntu write some values without quotes.
DEBIAN = '''PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION_CODENAME=bookworm
ID=debian
'''

ASTRA = '''PRETTY_NAME='Astra Linux'
NAME='Astra Linux'
ID=astra
ID_LIKE=debian
VERSION_ID=1.7_x86-64
'''

CENTOS_7 = '''NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
'''


def test_quoted_values():
    values = parse_os_release(ALMA)
    assert values['ID'] == 'almalinux'
    assert values['PRETTY_NAME'] == 'AlmaLinux 9.4 (Seafoam Ocelot)'
    assert values['ID_LIKE'] == 'rhel centos fedora'


def test_unquoted_and_single_quoted_values():
    assert parse_os_release(DEBIAN)['ID'] == 'debian'
    assert parse_os_release(DEBIAN)['VERSION_CODENAME'] == 'bookworm'
    assert parse_os_release(ASTRA)['PRETTY_NAME'] == 'Astra Linux'
    assert parse_os_release(ASTRA)['VERSION_ID'] == '1.7_x86-64'


def test_escapes_comments_and_junk():
    values = parse_os_release('# a comment\nNAME="Say \\"hi\\" \\$HOME"\nnot an assignment\n  ID=x\n')
    assert values == {'NAME': 'Say "hi" $HOME', 'ID': 'x'}


def test_missing_keys_give_nulls():
    facts = os_facts(parse_os_release('NAME="Something"\n'), '/etc/os-release', DEFAULT_SUPPORTED)
    assert facts == {'id': None, 'version': None, 'pretty_name': 'Something', 'id_like': [], 'supported': False,
                     'source': '/etc/os-release'}


def test_facts_of_a_supported_and_an_unsupported_host():
    alma = os_facts(parse_os_release(ALMA), '/etc/os-release', DEFAULT_SUPPORTED)
    assert (alma['id'], alma['version'], alma['supported']) == ('almalinux', '9.4', True)
    assert alma['id_like'] == ['rhel', 'centos', 'fedora']
    centos = os_facts(parse_os_release(CENTOS_7), '/etc/os-release', DEFAULT_SUPPORTED)
    assert (centos['id'], centos['pretty_name'], centos['supported']) == ('centos', 'CentOS Linux 7 (Core)', False)
    assert os_facts(parse_os_release(ASTRA), 'x', DEFAULT_SUPPORTED)['supported'] is True
    assert os_facts(parse_os_release(DEBIAN), 'x', DEFAULT_SUPPORTED)['supported'] is True


@pytest.mark.parametrize('actual, wanted, expected', [
    ('8.10', '8', True),
    ('9.4', '9', True),
    ('9.4', '8', False),
    ('22.04', '22.04', True),
    ('22.10', '22.04', False),
    ('1.7_x86-64', '1.7', True),
    ('1.8', '1.7', False),
    ('12', '12.1', False),
    (None, '12', False),
])
def test_version_matching(actual, wanted, expected):
    assert version_matches(actual, wanted) is expected


def test_normalize_strings_and_mappings():
    assert normalize_supported(['almalinux 8', 'AlmaLinux 9', {'id': 'ubuntu', 'versions': ['22.04', 24.04]},
                                {'id': 'debian', 'version': 12}, 'rocky 8 9']) == [
        {'id': 'almalinux', 'versions': ['8', '9']},
        {'id': 'ubuntu', 'versions': ['22.04', '24.04']},
        {'id': 'debian', 'versions': ['12']},
        {'id': 'rocky', 'versions': ['8', '9']},
    ]


def test_an_id_alone_takes_every_version():
    assert normalize_supported(['debian 11', 'debian']) == [{'id': 'debian', 'versions': []}]
    assert is_supported('debian', '13', ['debian']) is True
    assert is_supported('debian', '13', ['debian 12']) is False


def test_matching_ignores_case_of_the_id():
    assert is_supported('AlmaLinux', '9.4', ['almalinux 9']) is True
    assert is_supported(None, '9', ['almalinux 9']) is False


@pytest.mark.parametrize('entry', ['', {'versions': ['8']}, {'id': 'x', 'verions': ['8']}, 8,
                                   {'id': 'x', 'versions': [True]}, {'id': 'x', 'versions': [{'a': 1}]}])
def test_bad_entries_are_refused(entry):
    with pytest.raises(SupportedOsError):
        normalize_supported([entry])


def test_legacy_release_line():
    assert parse_legacy_release('CentOS release 6.10 (Final)\n') == {
        'ID': 'centos', 'VERSION_ID': '6.10', 'PRETTY_NAME': 'CentOS release 6.10 (Final)'}
    assert parse_legacy_release('Red Hat Enterprise Linux Server release 7.9 (Maipo)')['ID'] == 'rhel'
    assert parse_legacy_release('')['ID'] is None


def test_read_release_prefers_os_release_then_legacy(tmp_path):
    os_release, legacy = tmp_path / 'os-release', tmp_path / 'redhat-release'
    legacy.write_text('CentOS release 6.10 (Final)\n')
    assert read_release([str(os_release)], [str(legacy)]) == (
        {'ID': 'centos', 'VERSION_ID': '6.10', 'PRETTY_NAME': 'CentOS release 6.10 (Final)'}, str(legacy))
    os_release.write_text(ALMA)
    values, source = read_release([str(os_release)], [str(legacy)])
    assert (values['ID'], source) == ('almalinux', str(os_release))
    assert read_release([str(tmp_path / 'none')], [str(tmp_path / 'nothing')]) == (None, None)
