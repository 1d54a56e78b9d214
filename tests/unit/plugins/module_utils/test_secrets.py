# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import (
    MASK,
    looks_secret,
    mask_all,
    mask_data,
    mask_text,
)


@pytest.mark.parametrize('name', ['password', 'DBPassword', 'passwd', 'secret', 'client_secret', 'key', 'lickey',
                                  'api_token', 'pwd', 'Activation code', 'credentials'])
def test_secret_names(name):
    assert looks_secret(name)


@pytest.mark.parametrize('name', ['login', 'amount', 'elid', 'func', '', None])
def test_plain_names(name):
    assert not looks_secret(name)


@pytest.mark.parametrize('text, masked', [
    ('<param name="password">p4ss</param>', '<param name="password">********</param>'),
    ("<param type='x' name='secret_key'>s3cr</param>", "<param type='x' name='secret_key'>********</param>"),
    ('<doc><passwd>p4ss</passwd><login>shop</login></doc>', '<doc><passwd>********</passwd><login>shop</login></doc>'),
    ('{"api_token": "t0k", "amount": "10.00"}', '{"api_token": "********", "amount": "10.00"}'),
    ('{"key":123456}', '{"key":********}'),
    ('func=paymethod.edit&password=p4ss&sok=ok', 'func=paymethod.edit&password=********&sok=ok'),
    ('DBPassword = "a b c"', 'DBPassword = "********"'),
    ('secret: s3cr, login: shop', 'secret: ********, login: shop'),
    ('Fetching license for billmgr with key AbC-123', 'Fetching license for billmgr with key ********'),
    ('License key AbC-123', 'License key ********'),
    ('Activation code: AbC-123', 'Activation code: ********'),
    ("Object: 'secret_key=s3cr' Value: 'x'", "Object: 'secret_key=********' Value: 'x'"),
    ('Wrong password or login', 'Wrong password or login'),
    ('key not found', 'key not found'),
    ('12:30:45 elid=5 amount=10.00', '12:30:45 elid=5 amount=10.00'),
])
def test_every_form_the_platform_writes_is_masked_and_nothing_else(text, masked):
    assert mask_text(text) == masked


def test_given_secrets_are_masked_whole_and_line_by_line():
    assert mask_all('half: word2', ['pass1\nword2']) == 'half: %s' % MASK
    assert mask_all('a AbC-123-x b', ['AbC-123', 'AbC-123-x']) == 'a %s b' % MASK
    assert mask_text(None) is None


def test_a_long_line_without_secrets_is_masked_in_linear_time():
    # Bounded patterns: a megabyte of word characters must not backtrack quadratically.
    text = 'a' * (1024 * 1024) + ' key=1f2e'
    assert mask_text(text).endswith('key=' + MASK)


def test_results_are_masked_in_every_string_and_keys_are_kept():
    result = {'matches': [{'message': 'passwd=x1', 'context': ['token: t0k'], 'key': 'license'}], 'count': 2}
    assert mask_data(result) == {'matches': [{'message': 'passwd=' + MASK, 'context': ['token: ' + MASK],
                                              'key': 'license'}], 'count': 2}
