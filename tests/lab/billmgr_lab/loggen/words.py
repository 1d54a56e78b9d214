"""Names, values and message pieces that the platform's logs are made of."""

from __future__ import annotations

import random

MGR_ROOT = '/usr/local/mgr5'
PLATFORM_VERSION = '6.121.0'

USERS = ('admin', 'root', 'support', 'billing', 'ivanov@mail.example', 'shop-owner', 'dev@corp.example',
         'n.petrova', 'reseller17', 'accountant')
CLIENT_FUNCS = ('desktop', 'dashboard.info', 'item', 'vds', 'domain', 'payment', 'payment.add',
                'expense', 'subaccount', 'ticket', 'ticket.edit', 'usrparam', 'basket', 'order.edit',
                'invoice', 'vds.edit', 'service.prolong', 'soft', 'dnshost')
ADMIN_FUNCS = ('item.edit', 'user', 'account', 'account.edit', 'paymethod', 'processing', 'pricelist',
               'report', 'itemevent', 'project', 'promisepayment', 'payment.edit', 'item.suspend',
               'item.resume', 'service.changepricelist', 'account.discount')
INTERNAL_FUNCS = ('paymethod.checkpay', 'checkevent', 'pricelist.sync', 'item.open', 'item.resume',
                  'service.prolong', 'itemparam.set', 'notify.send', 'currency.rate', 'stat.collect')
PROCESSING_MODULES = ('pmispmgr5', 'pmvmmgr6', 'pmbillmgr', 'pmdnsmgr', 'pmcpanel')
PROCESSING_COMMANDS = ('open', 'resume', 'suspend', 'close', 'sync_item', 'prolong', 'setparam', 'stat')
NOTICES = ('payment', 'service_open', 'service_prolong', 'service_suspend', 'invoice', 'ticket_answer')
# Source files a DEBUG line may name, by logger; other loggers draw from all of them.
SOURCES = {
    'db': ('mysql.cpp', 'dbcache.cpp', 'transaction.cpp'),
    'core_module': ('session.cpp', 'action.cpp', 'core.cpp'),
    'libmgr': ('action.cpp', 'xml.cpp', 'lock.cpp', 'cache.cpp'),
    'rpc': ('rpc.cpp', 'query.cpp'),
    'sbin_utils': ('sbin_utils.cpp', 'process.cpp'),
    'billing': ('billing.cpp', 'billdaily.cpp', 'expense.cpp'),
    'payment': ('payment.cpp', 'paymethod.cpp'),
    'itemevent': ('itemevent.cpp',),
    'mgrctl': ('mgrctl.cpp',),
    'ihttpd': ('ihttpd.cpp', 'http.cpp', 'ssl.cpp'),
    'notify': ('notify.cpp', 'template.cpp'),
}
ALL_SOURCES = tuple(name for names in SOURCES.values() for name in names) + ('processing.cpp', 'http.cpp')
TABLES = ('item', 'itemparam', 'account', 'subaccount', 'payment', 'expense', 'pricelist',
          'project', 'itemevent', 'processingmodule', 'promisepayment', 'user')
CURRENCIES = ('RUB', 'RUB', 'RUB', 'USD', 'EUR', 'KZT')

# Error types the platform raises, with the text its XML result carries.
ERRORS = (
    (('missed', 'function', 'payment_cash_register.check'), "Function 'payment_cash_register.check' not found"),
    (('value', 'currency', ''), "Invalid value of the field 'currency'"),
    (('stat_addon_over_limit', '', ''), 'Resource usage is over the add-on limit'),
    (('exists', 'domain', 'example-shop.ru'), "Domain 'example-shop.ru' already exists"),
    (('access', 'func', 'item.delete'), 'Insufficient privileges to perform the operation'),
    (('missed', 'paymethod', '14'), 'Payment method 14 not found'),
    (('notconfigured', 'processingmodule', '3'), 'Processing module 3 is not configured'),
    (('sql', 'query', ''), 'Deadlock found when trying to get lock; try restarting transaction'),
    (('remote', 'pmispmgr5', 'open'), 'Remote server did not answer in time'),
    (('value', 'period', '-1'), "Invalid value of the field 'period'"),
)
ERROR_CODES = {'missed': '3', 'value': '4', 'exists': '5', 'access': '8', 'sql': '10', 'remote': '12',
               'notconfigured': '14', 'stat_addon_over_limit': '21', 'not_enough_money': '22'}


def error_line(kind: tuple) -> str:
    error_type, error_object, error_value = kind
    return f"Error: Type: '{error_type}' Object: '{error_object}' Value: '{error_value}'"


def mgrctl_error(kind: tuple) -> str:
    """The one-line form mgrctl prints: ERROR type(object[,value])."""
    error_type, error_object, error_value = kind
    inside = ','.join(part for part in (error_object, error_value) if part)
    return f'ERROR {error_type}({inside})'


def error_message(kind: tuple) -> str:
    for known, text in ERRORS:
        if known == kind:
            return text
    return f"Error '{kind[0]}'"


def xml_error(kind: tuple, message: str, params: list[tuple[str, str]] | None = None) -> tuple[str, ...]:
    """The XML result of a failed query, one element per continuation line."""
    error_type, error_object, error_value = kind
    if params is None:
        params = [(name, value) for name, value in (('object', error_object), ('value', error_value)) if value]
    code = ERROR_CODES.get(error_type, '1')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<doc><error type="{error_type}" object="{error_object}" code="{code}" lang="en">',
        *(f'  <param name="{name}">{value}</param>' for name, value in params),
        f'  <msg>{message}</msg>',
        '</error></doc>',
    )


def backtrace(rng: random.Random) -> tuple[str, ...]:
    """The frames of an error's stack, innermost first, each the message of a `backtrace EXTINFO`
    line as runbook 003 shows them: `NAME (LIBRARY + 0xOFFSET) [*0xADDRESS]`."""
    frames = (
        ('mgr_err::Error::Error(std::string const&, std::string const&, std::string const&)', 'lib/libmgr.so.5.246.2'),
        ('mgr_xml::Xml::GetNode(std::string const&) const', 'lib/libmgr.so.5.246.2'),
        ('isp_api::Action::Execute(isp_api::Session&)', 'lib/libispapi.so'),
        ('billmgr::Billing::ChargeItem(long, mgr_date::DateTime const&)', 'libexec/billmgr.so'),
        ('isp_api::Session::Process()', 'lib/libispapi.so'),
        ('???', 'lib/libmgr.so.5.246.2'),
        ('???', '/lib64/libc.so.6'),
    )
    depth = rng.randint(4, len(frames))
    chosen = frames[:2] + frames[len(frames) - depth + 2:]
    return tuple(f'{name} ({library} + 0x{rng.randrange(0x10, 0x2000):x}) '
                 f'[*0x7f{rng.randrange(0x10000000, 0xffffffff):08x}]' for name, library in chosen)


def source_ref(rng: random.Random, logger: str = '') -> str:
    return f'{rng.choice(SOURCES.get(logger, ALL_SOURCES))}:{rng.randint(24, 2890)}'


def ip_address(rng: random.Random) -> str:
    first = rng.choice((31, 37, 46, 77, 78, 85, 91, 94, 109, 176, 178, 185, 188, 195, 212, 217))
    return f'{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}'


def item_id(rng: random.Random) -> int:
    return rng.randint(300000, 335000)


def money(rng: random.Random, low: float = 10.0, high: float = 5000.0) -> str:
    return f'{rng.uniform(low, high):.2f}'


def select_query(rng: random.Random) -> str:
    table = rng.choice(TABLES)
    column = rng.choice(('id', 'account', 'status', 'item', 'project'))
    return f'SELECT * FROM {table} WHERE {column}={rng.randint(1, 335000)}'


def hex_id(rng: random.Random, length: int = 24) -> str:
    return f'{rng.getrandbits(length * 4):0{length}x}'
