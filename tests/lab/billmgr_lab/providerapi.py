"""The provider BILLmanager's API in the lab: where it listens and which reseller accounts it knows.

Each provider host runs the stand-in stand_ins/provider_api.py on its own address and API_PORT
(a real provider answers on its ihttpd, port 1500 of its URL; the lab keeps that port for the
panel). A reseller's processing module stores that URL, its account (`reseller-<name>`) and the
account's password, which the provider checks; the reseller fault provider_api_refuses stores a
wrong one. Passwords carry API_PASSWORD_MARK so a test can tell one anywhere in an output.
"""

from __future__ import annotations

import hashlib

API_PORT = 1580
API_PASSWORD_MARK = 'APIPW-LAB-'


def address(spec) -> str:
    from .fleet import FIRST_ADDRESS  # fleet imports the host builders, which import this module
    return '127.0.0.%d' % (FIRST_ADDRESS + spec.index - 1)


def username(reseller) -> str:
    return f'reseller-{reseller.name}'


def password(fleet, reseller) -> str:
    digest = hashlib.sha256(f'billmgr-lab:{fleet.seed}:{reseller.name}:api'.encode()).hexdigest()
    return API_PASSWORD_MARK + digest[:20]


def stored_password(fleet, reseller) -> str:
    """What the reseller's processing module holds: the right password, or one the provider refuses."""
    right = password(fleet, reseller)
    return right[::-1] if reseller.fault('provider_api_refuses') else right


def url(fleet, reseller) -> str:
    return f'http://{address(fleet.host(reseller.provider))}:{API_PORT}/billmgr'


def users(fleet, provider) -> dict:
    """{username: {password, account}} of every reseller of PROVIDER: the stand-in's accounts."""
    from .dbseed import RESELLER_ACCOUNT_BASE  # dbseed imports this module for the reseller's side
    return {username(reseller): {'password': password(fleet, reseller),
                                 'account': RESELLER_ACCOUNT_BASE + reseller.index}
            for reseller in fleet.resellers_of(provider.name)}


def state(fleet, provider) -> dict:
    return {'address': address(provider), 'port': API_PORT, 'users': users(fleet, provider)}
