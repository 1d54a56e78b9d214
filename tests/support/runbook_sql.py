# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runbook 000's SQL samples, the named query that answers each, and a sample made runnable.

The unit golden tests read the samples without a server; the database tests run them on one.
"""

from __future__ import annotations

# Sample file -> the named query that answers the same question.
SAMPLES = {
    'referral.sql': 'referral',
    'item_processing_module.sql': 'item_processing_module',
    'item_params.sql': 'item_params',
    'active_providers.sql': 'active_providers',
    'item_provider.sql': 'item_provider',
    'promised_payments.sql': 'promised_payments',
    'credit_limits.sql': 'credit_limits',
}
# What the runbook's placeholders stand for, as values the lab's rows have.
PLACEHOLDERS = {"'ID_client'": '1', '<item_id>': '1', "'<item_id>'": '1'}


def runnable(text):
    """The sample as the mysql client would run it in batch mode: placeholders filled, no \\G."""
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    return text.replace('\\G', '').strip().rstrip(';').strip() + ';'
