# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""log_grep attacked: names, windows, bounds, special files, broken archives, secrets in logs."""

from __future__ import annotations

import gzip
import os
from datetime import datetime, timedelta

import pytest

from hostile_harness import BAD_NAMES, BAD_TIMES, attack, make_special

from ansible_collections.billmgr.ops.plugins.modules import log_grep

SECRETS = ('S3cr3t-Pa55', 'AbCd-1234-EfGh', 'tok_9f8e7d', 'K3y-From-Licctl')


def _stamp(moment):
    return moment.strftime('%b %d %H:%M:%S').replace(' 0', '  ', 1) if moment.day < 10 else moment.strftime('%b %d %H:%M:%S')


def _record(moment, message, level='ERROR', thread='100:7'):
    return '%s [%s] libmgr %s %s\n' % (_stamp(moment), thread, level, message)


def _log(root, name='billmgr', text=None):
    now = datetime.now() - timedelta(minutes=5)
    text = text if text is not None else _record(now, "Error: Type: 'missed' Object: 'function' Value: 'x'")
    path = root / 'var' / (name + '.log')
    path.write_text(text)
    return path


@pytest.mark.parametrize('value', BAD_NAMES + ['bill*\n', '*/..', '?\x00'])
def test_a_log_name_that_is_not_one_is_refused(fake_root, value):
    _log(fake_root)
    attack(log_grep, {'mgr_root': str(fake_root), 'logs': [value]}, fake_root, refused='logs')


@pytest.mark.parametrize('option', ['since', 'until'])
@pytest.mark.parametrize('value', BAD_TIMES)
def test_a_window_end_that_is_not_a_time_is_refused(fake_root, option, value):
    _log(fake_root)
    attack(log_grep, {'mgr_root': str(fake_root), option: value}, fake_root, refused=option)


@pytest.mark.parametrize('option, value', [
    ('context_lines', -1), ('context_lines', 10 ** 18), ('max_matches', -1), ('max_matches', 10 ** 18),
    ('max_line_bytes', 0), ('max_line_bytes', 10 ** 18)])
def test_a_bound_out_of_range_is_refused(fake_root, option, value):
    _log(fake_root)
    attack(log_grep, {'mgr_root': str(fake_root), option: value}, fake_root, refused=option)


@pytest.mark.parametrize('pattern', ['(', '[a-', '\\', '(?P<x>'])
def test_a_pattern_that_is_not_a_regex_is_refused(fake_root, pattern):
    _log(fake_root)
    attack(log_grep, {'mgr_root': str(fake_root), 'pattern': pattern}, fake_root, refused='pattern')


def _special(root, kind):
    make_special(root / 'var' / 'billmgr.log', kind)


@pytest.mark.parametrize('kind', ['fifo', '/dev/zero', '/dev/null', '/dev/urandom', 'nowhere.log'])
@pytest.mark.parametrize('rotated', [False, True])
def test_a_log_that_is_not_a_regular_file_is_refused(fake_root, kind, rotated):
    _special(fake_root, kind)
    if kind == 'nowhere.log':
        # A dangling link is no log at all.
        attack(log_grep, {'mgr_root': str(fake_root), 'rotated': rotated}, fake_root,
               handled=lambda result: result['missing'] == ['billmgr'] or pytest.fail(result))
    else:
        attack(log_grep, {'mgr_root': str(fake_root), 'rotated': rotated}, fake_root, refused='not a regular file')


def test_a_corrupt_archive_is_skipped_and_the_rest_is_reported(fake_root):
    live = _log(fake_root)
    archive = fake_root / 'var' / 'logs' / 'billmgr.log.1.gz'
    whole = gzip.compress(_record(datetime.now() - timedelta(hours=3), 'Error: old one').encode() * 200)
    archive.write_bytes(whole[:len(whole) // 2] + b'\x00garbage' * 16)
    (fake_root / 'var' / 'logs' / 'billmgr.log.2.gz').write_bytes(b'\x1f\x8b' + b'not gzip at all')

    def handled(result):
        assert result['counts']['by_log']['billmgr'] >= 1
        assert sorted(os.path.basename(item['path']) for item in result['unreadable_archives']) == \
            ['billmgr.log.1.gz', 'billmgr.log.2.gz']
        assert any('billmgr.log.2.gz' in str(warning) for warning in result['warnings'])
        assert any(match['file'] == str(live) for match in result['matches'])

    attack(log_grep, {'mgr_root': str(fake_root), 'rotated': True}, fake_root, handled=handled)


def test_since_on_a_large_file_without_newlines_ends(fake_root):
    path = fake_root / 'var' / 'billmgr.log'
    with open(str(path), 'wb') as handle:
        for _chunk in range(50):
            handle.write(b'x' * (1024 * 1024))

    def handled(result):
        assert result['matches'] == []

    attack(log_grep, {'mgr_root': str(fake_root), 'since': '1h'}, fake_root, handled=handled)


SECRET_LINES = [
    "Query('func=paymethod.edit&elid=3&password=%s&sok=ok')" % SECRETS[0],
    '<doc><param name="secret_key">%s</param><param name="login">shop</param></doc>' % SECRETS[1],
    '{"api_token": "%s", "amount": "10.00"}' % SECRETS[2],
    'Fetching license for billmgr with key %s' % SECRETS[3],
    '<doc><password>%s</password></doc>' % SECRETS[0],
    'License key %s' % SECRETS[3],
    'Activation code: %s' % SECRETS[3],
]


@pytest.mark.parametrize('line', SECRET_LINES)
@pytest.mark.parametrize('context', ['thread', 'none'])
def test_secrets_in_records_and_threads_are_masked(fake_root, line, context):
    now = datetime.now() - timedelta(minutes=5)
    _log(fake_root, text=_record(now, line, level='INFO') + _record(now, 'Error: failed after ' + line))

    def handled(result):
        assert result['counts']['by_level']['ERROR'] == 1
        assert '********' in result['matches'][0]['message']

    attack(log_grep, {'mgr_root': str(fake_root), 'context': context}, fake_root, handled=handled, secrets=SECRETS)
