"""One log per payment or processing module, `<module>.log`, each a process per call, written by
the module's own writer (loggen.lines.WRITERS): the platform's, the PHP helper's, current or older,
or the platform's Python library's."""

from __future__ import annotations

import random
import zlib
from datetime import datetime, timedelta

from .core import SessionWriter
from .lines import WRITERS, LineStyle, Record
from .plan import LogPlan, LogWindow
from .timeline import Session, fill, interleave
from .words import PROCESSING_COMMANDS, error_line, item_id, money

MODULE_SHARE = 16  # each module log is about a sixteenth of billmgr.log
ERROR_SESSION_SHARE = 0.03
# Modules built in C++ log as the platform does; the PHP and Python ones write `[PID]` and their own
# day format. Which module is which is the lab's assumption; unknown names are split by a hash.
# A default fleet host has one of each writer: pmvmmgr6 (platform), pmbank (php), pmpaymaster
# (php_legacy), pmispmgr5 (python).
NATIVE_MODULES = ('pmbillmgr', 'pmvmmgr5', 'pmvmmgr6', 'pmdcimgr', 'pmdnsmgr')
SCRIPT_WRITERS = {'pmbank': 'php', 'pmqiwi': 'php', 'pmrobokassa': 'php',
                  'pmpaymaster': 'php_legacy', 'pmcloudpayments': 'php_legacy',
                  'pmispmgr5': 'python', 'pmyookassa': 'python', 'pmstripe': 'python', 'pmcpanel': 'python'}
SCRIPT_MODULES = tuple(SCRIPT_WRITERS)
# How often the older PHP helper's error handler reports a PHP warning in a call.
PHP_NOTICE_SHARE = 0.05
PROCESSING_MODULES = ('pmbillmgr', 'pmispmgr5', 'pmvmmgr5', 'pmvmmgr6', 'pmdcimgr', 'pmdnsmgr', 'pmcpanel')


def is_native(module: str) -> bool:
    if module in NATIVE_MODULES:
        return True
    if module in SCRIPT_MODULES:
        return False
    return zlib.crc32(module.encode()) % 2 == 0


def module_writer(module: str) -> str:
    if is_native(module):
        return 'platform'
    return SCRIPT_WRITERS.get(module) or WRITERS[1 + zlib.crc32(module.encode()) % 3]


def module_style(module: str, plan: LogPlan) -> LineStyle:
    writer = module_writer(module)
    if writer == 'platform':
        return LineStyle(color=plan.color, day='space')
    return LineStyle(color=writer != 'php_legacy', day=plan.module_day_style, writer=writer,
                     utc=writer == 'php' and plan.module_logs_utc)


def _php_notice(rng: random.Random, module: str) -> str:
    """What the older PHP helper's error handler writes after `ERROR: `."""
    errno, text = rng.choice(((2, 'file_get_contents(https://psp.example/api): failed to open stream: '
                                  'HTTP request failed!'),
                              (8, 'Undefined index: amount'),
                              (2, 'Invalid argument supplied for foreach()')))
    return f'{errno}: {text}. In file: /usr/local/mgr5/paymethods/{module}.php. On line: {rng.randint(20, 900)}'


def _processing_work(rng: random.Random, writer: SessionWriter, module: str, allow_error: bool) -> None:
    item = item_id(rng)
    if rng.random() < 0.35:
        writer.add(module, 'INFO', "Command 'checkevent'")
        writer.add(module, 'EXTINFO', "Remote query 'func=itemevent' to https://my.provider.example/billmgr")
        writer.add(module, 'INFO', f'Got {rng.randint(0, 4)} events from the provider')
        return
    command = rng.choice(PROCESSING_COMMANDS)
    writer.add(module, 'INFO', f"Command '{command}' for item {item}")
    writer.add(module, 'EXTINFO', f"Remote query 'func={command}&elid={rng.randint(1000, 99999)}' "
                                  'to https://my.provider.example/billmgr', pause=rng.uniform(0.1, 2.0))
    if allow_error and rng.random() < ERROR_SESSION_SHARE:
        writer.add(module, 'ERROR', error_line(('remote', module, command)))
        writer.add(module, 'INFO', f'Item {item} left in processing')
        return
    writer.debug(module, f'Response 200, {rng.randint(200, 9000)} bytes')
    if rng.random() < 0.3:
        writer.add(module, 'DEBUG', 'Response body:',
                   ('<doc>', f'  <ok/><id>{rng.randint(1000, 99999)}</id><status>{rng.choice((2, 3))}</status>',
                    '</doc>'))
    writer.add(module, 'INFO', f"Item {item} {command} done")


def _payment_work(rng: random.Random, writer: SessionWriter, module: str, allow_error: bool) -> None:
    payment = rng.randint(80000, 99999)
    writer.add(module, 'INFO', f"Run command 'checkpay' for payment method {rng.randint(1, 20)}")
    writer.add(module, 'DEBUG', 'Request POST https://psp.example/api/v2/payments/search', pause=rng.uniform(0.1, 1.5))
    if allow_error and rng.random() < ERROR_SESSION_SHARE:
        writer.add(module, 'ERROR', rng.choice(('Request failed: HTTP 502 Bad Gateway',
                                                error_line(('value', 'currency', '')))))
        return
    if rng.random() < 0.04:
        writer.add(module, 'WARNING', f'Gateway said: Internal ERROR code {rng.randint(10, 99)}, retrying')
    status = rng.choice(('Settled', 'Pending', 'Settled'))
    writer.add(module, 'DEBUG', 'Response 200:',
               ('{', f'  "items": [{{"id": "{payment}", "status": "{status}", "amount": "{money(rng)}"}}]', '}'))
    if status == 'Settled':
        writer.add(module, 'INFO', f'Payment {payment} settled, query func=payment.setpaid&elid={payment}')


def _maker(module: str):
    native = is_native(module)
    work = _processing_work if module in PROCESSING_MODULES else _payment_work

    legacy_php = module_writer(module) == 'php_legacy'

    def make(rng: random.Random, moment: datetime, allow_error: bool) -> Session:
        pid = rng.randint(2100, 400000)
        writer = SessionWriter(rng, moment, f'{pid}:1' if native else str(pid))
        work(rng, writer, module, allow_error)
        if legacy_php and allow_error and rng.random() < PHP_NOTICE_SHARE:
            writer.add('', 'ERROR', _php_notice(rng, module))
        return writer.records
    return make


def build_module(plan: LogPlan, window: LogWindow, module: str) -> list[Record]:
    rng = random.Random(f'{plan.seed}:{module}.log')
    sessions = fill(rng, window.start, window.now - timedelta(seconds=4), plan.size_bytes // MODULE_SHARE,
                    _maker(module), window.error_cutoff)
    return interleave(rng, sessions)
