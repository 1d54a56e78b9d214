# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Telling secrets by their names, and hiding them in text.

The exact-value mask and the mask string come from ``_licctl`` so that every module hides
secrets the same way.  What is added here: a name test (``lickey``, ``DBPassword``,
``api_token``) and a heuristic for text that names a secret before giving it (a log line
``... with key 1f2e3d``), for the secrets a module was not told about.  Stdlib only.
"""

from __future__ import annotations

import re

from ansible_collections.billmgr.ops.plugins.module_utils._licctl import MASK, mask_secret

_SECRET_NAME_RE = re.compile(r'key|pass|secret|token', re.IGNORECASE)
# A secret word, then ``:``, ``=`` or spaces, then the value up to the next space or quote.
_NAMED_VALUE_RE = re.compile(
    r'(?P<name>\w*(?:key|pass(?:word|wd)?|secret|token)\w*)(?P<sep>\s*[:=]\s*|\s+)(?P<value>[^\s"\'<>,;]+)',
    re.IGNORECASE)


def looks_secret(name):
    """True when a parameter or field NAME says it holds a key, password, secret or token."""
    return bool(name) and _SECRET_NAME_RE.search(str(name)) is not None


def mask_all(text, secrets, mask=MASK):
    """TEXT with every one of SECRETS replaced by MASK (longest first, so none is left half shown)."""
    for secret in sorted((value for value in secrets if value), key=len, reverse=True):
        text = mask_secret(text, secret, mask)
    return text


def mask_named_values(text, mask=MASK):
    """TEXT with the value after every secret-looking word masked: ``key 1f2e`` -> ``key ********``."""
    if not text:
        return text
    return _NAMED_VALUE_RE.sub(lambda match: match.group('name') + match.group('sep') + mask, text)
