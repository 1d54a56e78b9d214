# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import io
import json
from urllib.error import URLError
from urllib.parse import parse_qs

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._platform.providerapi import (
    ProviderApi,
    ProviderApiError,
    check_url,
    item_rows,
    settings_sql,
    stored_settings,
)

PASSWORD = 'pa55-word&x=1'


class FakeOpener:
    """Answers like the provider's API: auth, then a list; records every request it got."""

    def __init__(self, elems=None, auth_error=None, raw=None, fail=None):
        self.elems = elems if elems is not None else []
        self.auth_error = auth_error
        self.raw = raw
        self.fail = fail
        self.requests = []

    def open(self, request, timeout):
        params = {key: values[-1] for key, values in parse_qs(request.data.decode()).items()}
        self.requests.append((request.full_url, params, timeout))
        if self.fail:
            raise self.fail
        if self.raw is not None:
            return io.BytesIO(self.raw)
        if params['func'] == 'auth':
            if self.auth_error:
                body = {'doc': {'error': {'$type': 'auth', 'msg': {'$': self.auth_error}}}}
            else:
                body = {'doc': {'auth': {'$id': 'S355ION', '$': 'S355ION'}}}
        else:
            assert params['auth'] == 'S355ION'
            body = {'doc': {'elem': self.elems}}
        return io.BytesIO(json.dumps(body).encode())


def api(opener, password=PASSWORD):
    return ProviderApi('https://provider.example.com:1500/billmgr', 'reseller', password, timeout=7, opener=opener)


def test_login_then_list_by_post_with_out_json_and_never_the_password_in_the_url():
    opener = FakeOpener(elems=[
        {'id': {'$': '3101'}, 'status': {'$orig': '2', '$': 'Active'}, 'expiredate': {'$': '2027-01-31'}},
        {'id': '3102', 'status': '3', 'expiredate': ''},
    ])
    rows, unreadable = api(opener).items('soft')
    assert rows == [{'id': 3101, 'status': 2, 'expiredate': '2027-01-31'}, {'id': 3102, 'status': 3, 'expiredate': None}]
    assert unreadable == []
    (auth_url, auth, timeout), (list_url, listing, list_timeout) = opener.requests
    assert auth == {'func': 'auth', 'username': 'reseller', 'password': PASSWORD, 'out': 'json'} and timeout == 7
    assert listing == {'func': 'soft', 'auth': 'S355ION', 'out': 'json'} and list_timeout == 7
    assert PASSWORD not in auth_url + list_url and 'S355ION' not in list_url


def test_fields_that_cannot_be_read_are_listed_not_guessed():
    rows, unreadable = item_rows({'elem': [{'id': {'$': 'x1'}, 'status': {'$': '2'}},
                                           {'id': {'$': '5'}, 'status': {'$': 'Active'}, 'expiredate': {'$': '2027-01-31'}},
                                           {'id': {'$': '6'}, 'status': {'$': '2'}, 'expiredate': {'$': '31.01.2027'}},
                                           'junk']})
    assert rows == []
    assert [entry.get('id') for entry in unreadable] == ['x1', '5', '6', None]
    assert "status 'Active'" in unreadable[1]['why'] and 'expiredate' in unreadable[2]['why']
    # One element comes as an object, not a list of one.
    assert item_rows({'elem': {'id': '7', 'status': '2', 'expiredate': '0000-00-00'}})[0] == [
        {'id': 7, 'status': 2, 'expiredate': None}]


def test_a_refused_login_says_so_without_the_password():
    with pytest.raises(ProviderApiError) as caught:
        api(FakeOpener(auth_error='Invalid username or password')).login()
    assert 'Invalid username or password' in str(caught.value) and PASSWORD not in str(caught.value)


@pytest.mark.parametrize('raw, words', [
    (b'<html>login</html>', 'did not answer JSON'),
    (b'{"nodoc": 1}', 'no doc object'),
    (b'{"doc": {"auth": {}}}', 'no session id'),
])
def test_answers_that_are_not_the_api_fail_clearly(raw, words):
    with pytest.raises(ProviderApiError, match=words):
        api(FakeOpener(raw=raw)).login()


def test_an_unreachable_provider_names_the_url_and_masks_the_password():
    with pytest.raises(ProviderApiError) as caught:
        api(FakeOpener(fail=URLError('refused for ' + PASSWORD))).login()
    assert 'provider.example.com' in str(caught.value) and PASSWORD not in str(caught.value)


def test_settings_come_from_the_modules_rows_and_both_credentials_are_needed():
    assert 'processingmodule = 5' in settings_sql(5)
    with pytest.raises(ProviderApiError):
        settings_sql('5; DROP TABLE item')
    found = stored_settings([{'intname': 'url', 'value': 'https://p:1500/billmgr'}, {'intname': 'username', 'value': 'r'},
                             {'intname': 'other', 'value': 'x'}, {'intname': 'password', 'value': ''}])
    assert found == {'url': 'https://p:1500/billmgr', 'username': 'r', 'password': None}
    with pytest.raises(ProviderApiError, match='provider_password'):
        ProviderApi(found['url'], found['username'], found['password'], opener=FakeOpener())


@pytest.mark.parametrize('url', ['ftp://p/billmgr', 'https:///billmgr', 'https://u:pw@p:1500/billmgr', '', None])
def test_urls_that_are_not_the_api_are_refused(url):
    with pytest.raises(ProviderApiError):
        check_url(url)


def test_a_url_keeps_its_path_or_gets_the_platforms():
    assert check_url('https://p.example.com:1500') == 'https://p.example.com:1500/billmgr'
    assert check_url('http://10.0.0.5:1500/billmgr/?x=1') == 'http://10.0.0.5:1500/billmgr'
