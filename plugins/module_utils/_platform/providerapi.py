# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provider side of a reseller's items, read over the provider BILLmanager's own API.

A reselling BILLmanager talks to its provider through the processing module ``pmbillmgr`` with
the URL and account stored for that module; this reads the provider's view of the reseller's
items the same way, so drift can be found without a shell on the provider.

What is documented and what is assumed:

- [doc] The API is HTTP(S) on the platform's URL (``https://host:1500/billmgr``); ``out=json``
  asks for JSON; ``func=auth`` with ``username`` and ``password`` opens a session whose id is
  passed as ``auth`` to later calls; ``authinfo=user:password`` would put the password into every
  URL, so it is not used here.
- [assumed] The JSON answer of ``func=auth`` is ``{"doc": {"auth": {"$id": ID, "$": ID}}}`` and an
  error ``{"doc": {"error": {"$type": .., "msg": {"$": ..}}}}``; a list is ``{"doc": {"elem":
  [..]}}`` with each field as ``{"$": value}`` (or a bare value).
- [assumed] The list function (``func``) and its fields: ``id``, ``status`` (the item status
  number, or a text whose ``$orig`` is the number) and ``expiredate`` (``YYYY-MM-DD``).
- [assumed] Where the module's settings are stored in the reseller's database:
  ``processingparam`` rows ``url``, ``username`` and ``password`` of the module.  A password the
  platform keeps encrypted cannot be read in the clear: it is then given as an option instead.

A field we cannot read is counted and reported (``unreadable``), never guessed.  Every message
passes through ``mask_all`` with the password and session id.  Stdlib only.
"""

from __future__ import annotations

import json
import re
import ssl
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit, urlunsplit
from urllib.request import HTTPSHandler, Request, build_opener

from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import mask_all

# An answer larger than this is not a list of one account's services.
MAX_ANSWER_BYTES = 32 * 1024 * 1024
SETTING_NAMES = ('url', 'username', 'password')
_FUNC_RE = re.compile(r'[a-z][a-z0-9_.]{0,63}')
_DATE_RE = re.compile(r'[0-9]{4}-[0-9]{2}-[0-9]{2}')
_NUMBER_RE = re.compile(r'[0-9]{1,12}')


class ProviderApiError(Exception):
    """The provider could not be read; the message says where and what to check, without secrets."""


def settings_sql(module_id):
    """The stored settings of processing module MODULE_ID (an int already validated)."""
    if not isinstance(module_id, int) or isinstance(module_id, bool) or module_id <= 0:
        raise ProviderApiError('internal: a processing module id must be a positive int, got %r' % (module_id,))
    return ("SELECT intname, value FROM processingparam\nWHERE processingmodule = %d AND intname IN (%s)\nORDER BY id"
            % (module_id, ', '.join("'%s'" % name for name in SETTING_NAMES)))


def stored_settings(rows):
    """``{url, username, password}`` from the rows of ``settings_sql`` (the last row of a name wins)."""
    found = dict.fromkeys(SETTING_NAMES)
    for row in rows:
        if row.get('intname') in found and row.get('value') not in (None, ''):
            found[row['intname']] = row['value']
    return found


def check_url(url):
    """URL as the API's endpoint: http(s), a host, and the path of the platform (``/billmgr``)."""
    if not isinstance(url, str) or not url.strip():
        raise ProviderApiError('the provider URL is empty: set it in the processing module or give provider_url')
    parts = urlsplit(url.strip())
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise ProviderApiError('the provider URL %r is not http(s)://host[:port]/billmgr' % mask_all(url, ()))
    if parts.username or parts.password:
        raise ProviderApiError('the provider URL carries credentials; store them as the module\'s username and password')
    path = parts.path.rstrip('/') or '/billmgr'
    return urlunsplit((parts.scheme, parts.netloc, path, '', ''))


def check_func(name):
    if not isinstance(name, str) or not _FUNC_RE.fullmatch(name):
        raise ProviderApiError('list_func must be a platform function name such as soft, got %r' % (name,))
    return name


def value(field):
    """A field of the platform's JSON: ``{"$": v}``, ``{"$orig": v, "$": text}`` or a bare value."""
    if isinstance(field, dict):
        if '$orig' in field:
            return field['$orig']
        return field.get('$')
    return field


def _error_text(doc):
    error = doc.get('error') if isinstance(doc, dict) else None
    if error is None:
        return None
    if isinstance(error, dict):
        kind = error.get('$type') or error.get('type') or ''
        msg = value(error.get('msg')) or ''
        return ('%s: %s' % (kind, msg)).strip(': ') or 'an error without a message'
    return str(error)


def document(raw, what):
    """The ``doc`` of a JSON answer, or ProviderApiError naming WHAT was asked."""
    try:
        data = json.loads(raw.decode('utf-8', 'replace'))
    except ValueError:
        raise ProviderApiError('%s: the provider did not answer JSON (first bytes: %r); is the URL the platform\'s?'
                               % (what, raw[:80]))
    doc = data.get('doc') if isinstance(data, dict) else None
    if not isinstance(doc, dict):
        raise ProviderApiError('%s: the answer has no doc object' % what)
    error = _error_text(doc)
    if error:
        raise ProviderApiError('%s: the provider answered an error: %s' % (what, error))
    return doc


def session_id(doc):
    auth = doc.get('auth')
    found = auth.get('$id') or auth.get('$') if isinstance(auth, dict) else auth
    if not isinstance(found, str) or not found:
        raise ProviderApiError('login: the answer holds no session id (doc.auth)')
    return found


def item_rows(doc):
    """``(rows, unreadable)``: ``{id, status, expiredate}`` per element, and elements we could not read."""
    elems = doc.get('elem') or []
    if isinstance(elems, dict):
        elems = [elems]
    rows, unreadable = [], []
    for elem in elems if isinstance(elems, list) else []:
        if not isinstance(elem, dict):
            unreadable.append({'elem': str(elem)[:200], 'why': 'not an object'})
            continue
        item, status = str(value(elem.get('id')) or ''), value(elem.get('status', elem.get('item_status')))
        expires = value(elem.get('expiredate'))
        status = str(status) if status is not None else ''
        expires = None if expires in (None, '', '0000-00-00') else str(expires)[:10]
        why = []
        if not _NUMBER_RE.fullmatch(item):
            why.append('id %r' % item)
        if not _NUMBER_RE.fullmatch(status):
            why.append('status %r' % status)
        if expires is not None and not _DATE_RE.fullmatch(expires):
            why.append('expiredate %r' % expires)
        if why:
            unreadable.append({'id': item or None, 'why': 'unreadable ' + ', '.join(why)})
            continue
        rows.append({'id': int(item), 'status': int(status), 'expiredate': expires})
    return rows, unreadable


class ProviderApi:
    """One session with the provider: ``login`` then ``items``."""

    def __init__(self, url, username, password, timeout=30.0, validate_certs=True, ca_file=None, opener=None):
        self.url = check_url(url)
        if not username or not password:
            raise ProviderApiError('the provider account needs a username and a password: the processing module '
                                   'stores %s; give the missing one as provider_username or provider_password'
                                   % ('no username' if not username else 'no readable password'))
        self.username, self.password, self.timeout = username, password, timeout
        self.session = None
        if opener is None:
            context = ssl.create_default_context(cafile=ca_file)
            if not validate_certs:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            opener = build_opener(HTTPSHandler(context=context))
        self.opener = opener

    def secrets(self):
        return [s for s in (self.password, self.session) if s]

    def _call(self, params, what):
        # POST: the password and session id stay out of URLs, and so out of the provider's access log.
        body = urlencode(dict(params, out='json')).encode('ascii')
        request = Request(self.url, data=body, headers={'Content-Type': 'application/x-www-form-urlencoded',
                                                        'Accept': 'application/json'})
        try:
            with self.opener.open(request, timeout=self.timeout) as answer:
                raw = answer.read(MAX_ANSWER_BYTES + 1)
        except HTTPError as exc:
            raise ProviderApiError('%s: %s answered HTTP %d %s' % (what, self.url, exc.code, exc.reason))
        except (URLError, OSError, ValueError) as exc:
            reason = getattr(exc, 'reason', exc)
            raise ProviderApiError('%s: %s could not be reached: %s' % (what, self.url, mask_all(str(reason), self.secrets())))
        if len(raw) > MAX_ANSWER_BYTES:
            raise ProviderApiError('%s: the answer is larger than %d bytes' % (what, MAX_ANSWER_BYTES))
        return document(raw, what)

    def login(self):
        doc = self._call({'func': 'auth', 'username': self.username, 'password': self.password},
                         'login as %s' % self.username)
        self.session = session_id(doc)
        return self.session

    def items(self, func):
        func = check_func(func)
        if self.session is None:
            self.login()
        return item_rows(self._call({'func': func, 'auth': self.session}, 'listing %s' % func))
