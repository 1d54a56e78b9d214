# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import (
    OptionError,
    check_line_text,
    check_name,
    check_number,
    check_options,
    is_safe_name,
)


@pytest.mark.parametrize('name', ['billmgr', 'pmpaymaster', 'billmgr.conf', 'a_b-c'])
def test_names(name):
    assert check_name('log', name) == name and is_safe_name(name)


@pytest.mark.parametrize('name, reason', [
    ('billmgr\n', 'line break'), ('billmgr\r', 'line break'), ('bill\tmgr', 'control character'),
    ('bill\x00mgr', 'NUL'), ('billmgr\u00e9', 'non-ASCII'), ('../etc', 'a path'), ('a/b', 'a path'),
    ('-x', 'other characters'), ('', 'other characters')])
def test_not_names_are_refused_naming_the_option_and_why(name, reason):
    assert not is_safe_name(name)
    with pytest.raises(OptionError) as caught:
        check_name('log', name)
    assert str(caught.value).startswith('log: ') and reason in str(caught.value)


@pytest.mark.parametrize('value', ['inf', '-inf', 'nan', 1e300, -1, 0, 'ten', None, [1]])
def test_numbers_must_be_finite_and_in_range(value):
    with pytest.raises(OptionError) as caught:
        check_number('timeout', value, 0, 86400, above=True)
    assert str(caught.value).startswith('timeout: ')


def test_one_line_text_never_quotes_the_value():
    with pytest.raises(OptionError) as caught:
        check_line_text('db_password', 's3cr\nuser=root')
    assert 's3cr' not in str(caught.value) and 'db_password' in str(caught.value)
    assert check_line_text('db_password', 'p\u00e4ss word\t#1') == 'p\u00e4ss word\t#1'


def test_check_options_takes_lists_and_skips_unset():
    check_options({'logs': ['billmgr'], 'timeout': None}, names=('logs',), numbers=(('timeout', 0, 10, True),))
    with pytest.raises(OptionError):
        check_options({'logs': ['billmgr', 'x\n']}, names=('logs',))
