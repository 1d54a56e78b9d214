# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The license as every module returns it, built once from ``licctl info`` output.

Stdlib only and no Ansible imports.
"""

from __future__ import annotations

from datetime import date

from ansible_collections.billmgr.ops.plugins.module_utils._platform.licctl import days_left, got_lines, parse_info
from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import looks_secret, mask_all, mask_text


def license_facts(info_output, licctl_log, today=None):
    """``(license, secrets)``: the ``license`` dict modules return, and the values it masked.

    Lines of ``licctl info`` whose key looks secret (key, pass, secret, token) keep their key but
    not their value: which keys licctl really prints is not documented.  ``lines`` keeps every line
    other than ``ID`` and ``Expire`` as printed (masked), so a line no parser knows is still seen.
    """
    info = parse_info(info_output)
    secrets = [value for key, value in info['fields'].items() if value and looks_secret(key)]
    # Fields are read again from the masked text: a ``License key 1f2e`` line splits into the key
    # ``License`` and the value ``key 1f2e``, which only the text as a whole shows to be secret.
    raw = mask_text(info_output or '', secrets)
    fields = parse_info(raw)['fields']
    got = got_lines(licctl_log)
    facts = {
        'id': info['id'],
        'linked': info['linked'],
        'expires': info['expires'].isoformat() if info['expires'] else None,
        'expires_text': info['expires_text'],
        'days_left': days_left(info['expires'], today or date.today()),
        'fields': fields,
        'lines': [mask_text(line, secrets) for line in info['lines']],
        # A license was activated on this server before (``Got`` in licctl.log): no trial can be now.
        'activated_before': None if got is None else got[0] > 0,
        'got_lines': [] if got is None else [mask_all(line, secrets) for line in got[1]],
        # The former name of activated_before.
        'trial_used': None if got is None else got[0] > 0,
        'raw': raw,
    }
    return facts, secrets
