# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one masking rule: secrets told by their names, and hidden in any text before it leaves a host.

``mask_text(text, secrets)`` hides every value in SECRETS (a password the module was given, a
license key) and every value that text names as secret, in the forms the platform and its modules
write them: ``<param name="password">..</param>``, ``<apikey>..</apikey>``, ``"token": ".."``,
``passwd=..&``, ``secret: ..``, and licctl's ``with key ..``, ``License key ..`` and
``Activation code: ..``.  ``mask_data(value)`` applies it to every string of a result.
Every pattern is bounded (names of at most 64 characters, attributes of at most 256), so a
long line costs linear time.  Stdlib only.
"""

from __future__ import annotations

import re

MASK = '********'

# A name that says it holds a secret: lickey, DBPassword, api_token, passwd, client_secret.
_SECRET_NAME_RE = re.compile(r'key|pass|pwd|secret|token|credential|activation.?code', re.IGNORECASE)
_NAME = r'[A-Za-z_][\w.-]{0,63}'
_VALUE = r'"[^"\n]{0,4096}"|\'[^\'\n]{0,4096}\'|[^\s"\'<>,;&]+'
# name=value, name: value (query strings, platform log parameters, config lines).
_PAIR_RE = re.compile(r'(?<![\w.-])(?P<name>%s(?: code)?)(?P<sep>[ \t]*[:=][ \t]*)(?P<value>%s)' % (_NAME, _VALUE))
# A phrase naming a key before giving it after a space: licctl's "with key 1f2e", "License key 1f2e".
_PHRASE_RE = re.compile(
    r'(?<![\w-])(?P<name>(?:license|licence|activation|with|api|access|secret|private)[ _-]?(?:key|code|token))'
    r'(?P<sep>[ \t]+)(?P<value>[^\s"\'<>,;&:=]+)', re.IGNORECASE)
_XML_PARAM_RE = re.compile(
    r'(?P<open><param\b[^<>]{0,256}?\bname\s*=\s*(?P<quote>["\'])(?P<name>[^"\'<>]{1,64})(?P=quote)[^<>]{0,256}>)'
    r'(?P<value>[^<]*)(?P<close></param\s*>)', re.IGNORECASE)
_XML_ELEMENT_RE = re.compile(r'(?P<open><(?P<name>%s)(?:\s[^<>]{0,256})?>)(?P<value>[^<]*)(?P<close></(?P=name)\s*>)' % _NAME)
_JSON_RE = re.compile(r'(?P<open>"(?P<name>[^"\\\n]{1,64})"\s*:\s*)(?P<value>"(?:[^"\\\n]|\\.){0,4096}"|[-+\w.]+)')


def looks_secret(name):
    """True when a parameter or field NAME says it holds a key, password, secret or token."""
    return bool(name) and _SECRET_NAME_RE.search(str(name)) is not None


def mask_secret(text, secret, mask=MASK):
    """TEXT with every occurrence of SECRET replaced, so a key never reaches output or logs."""
    if not text or not secret:
        return text
    return text.replace(secret, mask)


def mask_all(text, secrets, mask=MASK):
    """TEXT with every one of SECRETS replaced by MASK (longest first, so none is left half shown).

    A secret spanning lines is also masked line by line: a client that quotes only one line of a
    password (the second half of ``pass\\nword``) must not show it.
    """
    parts = set()
    for value in secrets or ():
        if not value:
            continue
        value = str(value)
        parts.add(value)
        parts.update(line for line in value.splitlines() if len(line.strip()) >= 3)
    for secret in sorted(parts, key=len, reverse=True):
        text = mask_secret(text, secret, mask)
    return text


def _masked_value(value, mask):
    if value[:1] in ('"', "'") and value[-1:] == value[:1] and len(value) >= 2:
        return value[0] + mask + value[0]
    return mask


def mask_named_values(text, mask=MASK):
    """TEXT with the value of every secret-looking name masked, in each form the platform writes."""
    if not text or not isinstance(text, str):
        return text

    def pair(match):
        if not looks_secret(match.group('name')):
            # A quoted value may hold pairs of its own: ``Object: 'secret_key=1f2e'``.
            value = match.group('value')
            inner = _PAIR_RE.sub(pair, value) if value[:1] in ('"', "'") else value
            return match.group('name') + match.group('sep') + inner
        return match.group('name') + match.group('sep') + _masked_value(match.group('value'), mask)

    def element(match):
        if not looks_secret(match.group('name')) or not match.group('value'):
            return match.group(0)
        return match.group('open') + mask + match.group('close')

    def json_pair(match):
        if not looks_secret(match.group('name')):
            return match.group(0)
        return match.group('open') + _masked_value(match.group('value'), mask)

    if '<' in text:
        text = _XML_PARAM_RE.sub(element, text)
        text = _XML_ELEMENT_RE.sub(element, text)
    if '"' in text:
        text = _JSON_RE.sub(json_pair, text)
    text = _PAIR_RE.sub(pair, text)
    return _PHRASE_RE.sub(lambda match: match.group('name') + match.group('sep') + mask, text)


def mask_text(text, secrets=(), mask=MASK):
    """TEXT with SECRETS and every value it names as secret masked: the rule for anything a module
    returns that came from a log, a command or a file."""
    if not text or not isinstance(text, str):
        return text
    return mask_named_values(mask_all(text, secrets, mask), mask)


def mask_data(value, secrets=(), mask=MASK):
    """VALUE (a result: dicts, lists, strings) with :func:`mask_text` applied to every string.

    Keys are kept as they are: a result's own field names (a finding's ``key``) are not secrets."""
    if isinstance(value, str):
        return mask_text(value, secrets, mask)
    if isinstance(value, dict):
        return dict((key, mask_data(item, secrets, mask)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [mask_data(item, secrets, mask) for item in value]
    return value


_CONF_LINE_RE = re.compile(r'(?P<name>[ \t]*[A-Za-z_][\w.-]{0,63})(?P<sep>[ \t]+)(?P<value>\S[^\n]*)')


def conf_secrets(text):
    """Values of the platform's ``Name value`` config lines whose name says they are secret."""
    found = []
    for line in (text or '').splitlines():
        match = _CONF_LINE_RE.fullmatch(line)
        if match and not line.lstrip().startswith('#') and looks_secret(match.group('name')):
            found.append(match.group('value').strip())
    return found


def mask_conf_text(text, secrets=(), mask=MASK):
    """A platform config file (``DBPassword s3cret`` lines, as billmgr.conf writes them) with the value
    of every secret-looking name masked, then :func:`mask_text` for every other form."""
    if not text or not isinstance(text, str):
        return text
    lines = []
    for line in text.split('\n'):
        match = _CONF_LINE_RE.fullmatch(line)
        if match and not line.lstrip().startswith('#') and looks_secret(match.group('name')):
            line = match.group('name') + match.group('sep') + mask
        lines.append(line)
    return mask_text('\n'.join(lines), secrets, mask)
