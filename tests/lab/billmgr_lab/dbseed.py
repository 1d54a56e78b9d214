"""The `billmgr` database of a lab host: its schema and realistic rows, with the host's faults in them.

Rows are deterministic from the fleet's seed and the host's index. What the faults put in:

- payments_stuck N: N payments in status 2 created 7 to 40 hours ago (a healthy host has none in 2);
- early_stop_money / early_stop_addon N: N services suspended (status 3) while paid up; the same ids
  go to billmaintain.log through `Seed.early_stops`;
- drift N (reseller): of the items whose `remoteid` names an item of the provider, exactly N differ
  from it in status or expiredate; the provider's rows for the reseller are generated from the same
  fleet data, so both databases agree on everything else;
- itemevent_backlog N: N rows in `itemevent`, created in the past. Each carries the state its item
  already has (on a reseller: the provider's), so running checkevent empties the table without
  changing the drift count.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from . import providerapi

ORDERED, ACTIVE, SUSPENDED, DELETED, PROCESSING = 1, 2, 3, 4, 5
PAY_NEW, PAY_IN_PAY, PAY_PAID, PAY_FRAUD, PAY_CANCELLED = 1, 2, 4, 7, 9
RUB, USD, EUR = 126, 153, 44

# A reseller reaches its provider through this processing module; imported plans are `5-<intname>`.
RESELLER_MODULE_ID = 5
RESELLER_ACCOUNT_BASE = 900  # the provider's account for reseller host N is 900 + N
IMPORTED_PLAN_BASE = 20  # a reseller's imported plans get ids from here
STUCK_MIN_AGE = timedelta(hours=7)
# Every itemcryptedparam value starts with it, so a test can tell one anywhere in an output.
CRYPTED_MARK = "CRYPTED-LAB-"

# (intname, name, kind, cost); ids are positions from 1, the same on every host of a fleet.
PLANS = (
    ('vds-start', 'VDS Start', 'vds', '390.00'),
    ('vds-pro', 'VDS Pro', 'vds', '990.00'),
    ('vds-max', 'VDS Max', 'vds', '2490.00'),
    ('hosting-lite', 'Hosting Lite', 'hosting', '149.00'),
    ('hosting-biz', 'Hosting Business', 'hosting', '449.00'),
    ('vds-traffic', 'Traffic above the plan, per GB', 'addon', '1.50'),
    ('ispmgr-lite', 'ISPmanager 6 Lite license', 'license', '290.00'),
)
PLAN_ID = {intname: number for number, (intname, *_rest) in enumerate(PLANS, start=1)}
KIND_MODULE = {'vds': 1, 'hosting': 2, 'addon': 1, 'license': 1}
SELLABLE = [name for name, _n, kind, _c in PLANS if kind in ('vds', 'hosting')]
VDS_PLANS = [name for name, _n, kind, _c in PLANS if kind == 'vds']

PROCESSING_MODULES = (
    (1, 'VMmanager 6 cluster', 'pmvmmgr6', 'on'),
    (2, 'ISPmanager shared hosting', 'pmispmgr5', 'on'),
    (3, 'VMmanager 5 (retired)', 'pmvmmgr5', 'off'),
)
PAYMETHODS = (
    (1, 'Bank transfer', 'pmbank', 'on'),
    (2, 'PayMaster', 'pmpaymaster', 'on'),
    (3, 'Cash at the office', 'pmcash', 'off'),
)
ONLINE_PAYMETHOD = 2

CLIENT_NAMES = (
    'Arktika Trade', 'Belka Studio', 'Vostok Media', 'Gorizont Logistics', 'Delta Print', 'Ermak Systems',
    'Zarya Foods', 'Izumrud Jewelry', 'Kedr Furniture', 'Luch Optics', 'Mayak Travel', 'Neva Consulting',
    'Oka Agro', 'Pulsar Labs', 'Raduga Kids', 'Sokol Auto', 'Taiga Outdoor', 'Ural Metals', 'Fort Security',
    'Khors Games', 'Tsentr Clinic', 'Chaika Marine', 'Shtorm Sports', 'Yantar Design', 'Yug Energy',
)

SCHEMA = """
CREATE TABLE currency (
  id INT PRIMARY KEY, iso CHAR(3) NOT NULL, name VARCHAR(64) NOT NULL
);
CREATE TABLE project (
  id INT PRIMARY KEY, name VARCHAR(128) NOT NULL, active ENUM('on','off') NOT NULL DEFAULT 'on',
  currency INT NOT NULL
);
CREATE TABLE account (
  id INT PRIMARY KEY, name VARCHAR(255) NOT NULL, email VARCHAR(255), registrationdate DATETIME NOT NULL,
  project INT NOT NULL
);
CREATE TABLE subaccount (
  id INT PRIMARY KEY, account INT NOT NULL, currency INT NOT NULL,
  balance DECIMAL(12,2) NOT NULL DEFAULT 0, creditlimit DECIMAL(12,2) NOT NULL DEFAULT 0, KEY (account)
);
CREATE TABLE account2project (
  id INT AUTO_INCREMENT PRIMARY KEY, account INT NOT NULL, project INT NOT NULL, partner INT NULL,
  referral INT NULL, UNIQUE KEY (account, project)
);
CREATE TABLE processingmodule (
  id INT PRIMARY KEY, name VARCHAR(128) NOT NULL, module VARCHAR(64) NOT NULL,
  active ENUM('on','off') NOT NULL DEFAULT 'on'
);
CREATE TABLE processingparam (
  id INT AUTO_INCREMENT PRIMARY KEY, processingmodule INT NOT NULL, intname VARCHAR(64) NOT NULL, value TEXT,
  KEY (processingmodule)
);
CREATE TABLE pricelist (
  id INT PRIMARY KEY, project INT NOT NULL, intname VARCHAR(128) NOT NULL, name VARCHAR(255) NOT NULL,
  itemtype VARCHAR(32) NOT NULL, cost DECIMAL(12,2) NOT NULL, active ENUM('on','off') NOT NULL DEFAULT 'on',
  remoteid INT NULL, syncdate DATETIME NULL
);
CREATE TABLE item (
  id INT PRIMARY KEY, account INT NOT NULL, pricelist INT NOT NULL, status TINYINT NOT NULL,
  expiredate DATE NULL, processingmodule INT NULL, remoteid INT NULL, parent INT NULL, name VARCHAR(255),
  createdate DATETIME NOT NULL, KEY (status), KEY (remoteid), KEY (parent), KEY (account)
);
CREATE TABLE itemparam (
  id INT AUTO_INCREMENT PRIMARY KEY, item INT NOT NULL, intname VARCHAR(64) NOT NULL, value TEXT,
  KEY (item)
);
CREATE TABLE promisepayment (
  id INT PRIMARY KEY, item INT NOT NULL, account INT NOT NULL, amount DECIMAL(12,2) NOT NULL,
  createdate DATETIME NOT NULL, enddate DATE NOT NULL
);
CREATE TABLE itemevent (
  id INT AUTO_INCREMENT PRIMARY KEY, item INT NOT NULL, status TINYINT NULL, expiredate DATE NULL,
  createdate DATETIME NOT NULL, KEY (item)
);
CREATE TABLE paymethod (
  id INT PRIMARY KEY, name VARCHAR(128) NOT NULL, module VARCHAR(64) NOT NULL,
  active ENUM('on','off') NOT NULL DEFAULT 'on'
);
CREATE TABLE payment (
  id INT PRIMARY KEY, subaccount INT NOT NULL, paymethod INT NOT NULL, status TINYINT NOT NULL,
  createdate DATETIME NOT NULL, paydate DATETIME NULL, amount DECIMAL(12,2) NOT NULL, number VARCHAR(64),
  KEY (status)
);
"""

TABLES = ('currency', 'project', 'account', 'subaccount', 'account2project', 'processingmodule',
          'processingparam', 'pricelist', 'item', 'itemparam', 'promisepayment', 'itemevent', 'paymethod',
          'payment')


# Columns only the public variant has, and the one table only it has (encrypted item parameters).
PUBLIC_EXTRA = {
    'payment': {'paymethodamount': 'DECIMAL(12,2) NULL', 'subaccountamount': 'DECIMAL(12,2) NULL',
                'externalid': 'VARCHAR(64) NULL'},
    'paymethod': {'currency': 'INT NULL'},
    'item': {'opendate': 'DATETIME NULL'},
    'pricelist': {'parent': 'INT NULL'},
    'itemcryptedparam': {'id': 'INT AUTO_INCREMENT PRIMARY KEY', 'item': 'INT NOT NULL',
                         'intname': 'VARCHAR(64) NOT NULL', 'value': 'TEXT'},
}

# The schema variants a lab host can have (setting `schema`): table -> columns, None for every table
# and column of SCHEMA.  `public`: the names public code that queries real billmgr databases shows;
# `minimal`: only the tables the runbooks name and the columns they name (a table whose columns
# no runbook names keeps only `id`).
SCHEMA_VARIANTS = {
    'lab': None,
    'public': {
        'payment': ('id', 'paymethod', 'status', 'createdate', 'paymethodamount', 'subaccountamount', 'number',
                    'externalid'),
        'paymethod': ('id', 'name', 'module', 'active', 'currency'),
        'item': ('id', 'status', 'expiredate', 'remoteid', 'processingmodule', 'pricelist', 'parent', 'createdate',
                 'opendate'),
        'pricelist': ('id', 'intname', 'project', 'parent'),
        'account2project': ('account', 'project'),
        'itemparam': ('item', 'intname', 'value'),
        'itemcryptedparam': ('id', 'item', 'intname', 'value'),
        'project': ('id', 'name'),
        'processingmodule': ('id', 'name', 'module'),
    },
    'minimal': {
        'account2project': ('account',),
        'item': ('id', 'processingmodule', 'pricelist', 'remoteid', 'status', 'expiredate'),
        'itemparam': ('item', 'intname', 'value'),
        'project': ('id', 'active'),
        'pricelist': ('id', 'project', 'intname'),
        'promisepayment': ('id',),
        'subaccount': ('account', 'creditlimit'),
        'itemevent': ('id',),
    },
}
SCHEMA_NAMES = tuple(SCHEMA_VARIANTS)


def _split_top(text):
    """TEXT split at commas outside parentheses (``DECIMAL(12,2)`` and ``ENUM('on','off')`` stay whole)."""
    parts, depth, current = [], 0, ''
    for char in text:
        if char == ',' and depth == 0:
            parts.append(current.strip())
            current = ''
            continue
        depth += {'(': 1, ')': -1}.get(char, 0)
        current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def lab_tables() -> dict:
    """SCHEMA as ``{table: ([(column, definition)], [key definitions])}``, in order."""
    tables = {}
    for block in SCHEMA.split('CREATE TABLE ')[1:]:
        name, _paren, body = block.partition(' (')
        columns, keys = [], []
        for item in _split_top(body.rsplit(')', 1)[0]):
            if item.split()[0] in ('KEY', 'UNIQUE', 'PRIMARY'):
                keys.append(item)
            else:
                column, _space, definition = item.partition(' ')
                columns.append((column, definition))
        tables[name.strip()] = (columns, keys)
    return tables


def variant_columns(variant: str = 'lab') -> dict:
    """``{table: [column, ...]}`` of VARIANT, in creation order."""
    chosen = SCHEMA_VARIANTS[variant]
    if chosen is None:
        return {table: [column for column, _d in columns] for table, (columns, _k) in lab_tables().items()}
    return {table: list(columns) for table, columns in chosen.items()}


def _key_columns(key):
    return [name.strip() for name in key[key.index('(') + 1:key.rindex(')')].split(',')]


def schema_sql(variant: str = 'lab') -> str:
    """The CREATE TABLEs of VARIANT, after dropping every table any variant has."""
    if variant not in SCHEMA_VARIANTS:
        raise ValueError(f'unknown schema variant {variant!r}; the lab has {", ".join(SCHEMA_NAMES)}')
    lab = lab_tables()
    every = list(TABLES) + [table for table in PUBLIC_EXTRA if table not in TABLES]
    drops = ''.join(f'DROP TABLE IF EXISTS `{table}`;\n' for table in reversed(every))
    creates = []
    for table, columns in variant_columns(variant).items():
        defined, keys = lab.get(table, ([], []))
        definitions = dict(defined)
        definitions.update(PUBLIC_EXTRA.get(table, {}))
        lines = [f'{column} {definitions[column]}' for column in columns]
        lines += [key for key in keys if all(name in columns for name in _key_columns(key))]
        creates.append(f'CREATE TABLE {table} (\n  ' + ',\n  '.join(lines)
                       + '\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n')
    return drops + ''.join(creates)


def _public_values(table, row):
    """ROW with the public-only columns of TABLE filled in from what the lab rows hold."""
    full = dict(row)
    if table == 'payment':
        full.setdefault('paymethodamount', row.get('amount'))
        full.setdefault('subaccountamount', row.get('amount'))
        full.setdefault('externalid', f'gw-{row["id"]}' if row.get('status') == PAY_PAID else None)
    elif table == 'paymethod':
        full.setdefault('currency', RUB)
    elif table == 'item':
        full.setdefault('opendate', row.get('createdate'))
    elif table == 'pricelist':
        full.setdefault('parent', None)
    return full


def variant_rows(tables: dict, variant: str = 'lab') -> dict:
    """The seed's TABLES cut to the tables and columns VARIANT holds."""
    return {table: [{name: _public_values(table, row).get(name) for name in names} for row in tables.get(table, [])]
            for table, names in variant_columns(variant).items()}


@dataclass
class EarlyStopFact:
    """A service billmaintain stopped early; hosttree turns it into loggen's EarlyStop."""

    item: int
    reason: str
    amount: str = ''
    have: str = ''
    currency: str = 'RUB'
    deficit: str = ''
    limit: str = ''


@dataclass
class LinkedItem:
    """An item a reseller sells from its provider, as the provider has it."""

    provider_item: int
    plan: str
    status: int
    expiredate: date


@dataclass
class Seed:
    tables: dict = field(default_factory=lambda: {table: [] for table in TABLES + ('itemcryptedparam',)})
    early_stops: list = field(default_factory=list)
    active_items: list = field(default_factory=list)  # the items billmaintain bills daily
    module_logs: list = field(default_factory=list)  # modules that keep their own var/<module>.log
    gateway_paid: list = field(default_factory=list)  # in-pay payments the fake payment gateway has as paid

    def add(self, table, **row):
        self.tables[table].append(row)
        return row

    def rows(self, table):
        return self.tables[table]


def host_rng(fleet, spec, purpose: str) -> random.Random:
    return random.Random(f'billmgr-lab:{fleet.seed}:{spec.index}:{purpose}')


def item_base(spec) -> int:
    return spec.index * 100000


def linked_items(fleet, reseller) -> list[LinkedItem]:
    """What the provider holds for RESELLER; both hosts' seeds are built from this list."""
    provider = fleet.host(reseller.provider)
    rng = random.Random(f'billmgr-lab:{fleet.seed}:link:{provider.index}:{reseller.index}')
    first_id = item_base(provider) + 50000 + reseller.index * 1000
    count = 8 + reseller.fault('drift', 0)
    items = []
    for number in range(count):
        status = rng.choice((ACTIVE, ACTIVE, ACTIVE, ACTIVE, ACTIVE, SUSPENDED, DELETED))
        if status == ACTIVE:
            expires = fleet.anchor + timedelta(days=rng.randint(3, 120))
        else:
            expires = fleet.anchor - timedelta(days=rng.randint(2, 90))
        items.append(LinkedItem(first_id + number, rng.choice(SELLABLE), status, expires))
    return items


def drifted(linked: list[LinkedItem], fleet, reseller) -> dict[int, tuple[int, date]]:
    """provider item id -> the (status, expiredate) the reseller wrongly keeps, for exactly N items."""
    count = reseller.fault('drift', 0)
    rng = host_rng(fleet, reseller, 'drift')
    wrong = {}
    for number, position in enumerate(rng.sample(range(len(linked)), count)):
        item = linked[position]
        if number % 2 == 0:
            status = {ACTIVE: SUSPENDED, SUSPENDED: ACTIVE, DELETED: ACTIVE}[item.status]
            wrong[item.provider_item] = (status, item.expiredate)
        else:
            shift = rng.choice((-1, 1)) * rng.randint(1, 20)
            wrong[item.provider_item] = (item.status, item.expiredate + timedelta(days=shift))
    return wrong


class _HostSeeder:
    def __init__(self, spec, fleet, now: datetime):
        self.spec = spec
        self.fleet = fleet
        self.now = now.replace(microsecond=0)
        self.today = self.now.date()
        self.rng = host_rng(fleet, spec, 'rows')
        self.seed = Seed()
        self.next_item = item_base(spec) + 1
        self.next_param = 1
        self.first_vds = {}  # account -> its first VDS item, the one early stops pick from

    def build(self) -> Seed:
        self._reference_rows()
        clients = self._accounts()
        for account in clients:
            self._client_items(account)
        if self.spec.role == 'reseller':
            self._reseller_items(clients)
        for reseller in self.fleet.resellers_of(self.spec.name):
            self._provider_items(reseller)
        self._early_stops(clients)
        self._promised_payments()
        self._payments(clients)
        self._itemevents()
        self.seed.active_items = [row['id'] for row in self.seed.rows('item')
                                  if row['status'] == ACTIVE and row['parent'] is None]
        return self.seed

    # ---- reference data
    def _reference_rows(self):
        add = self.seed.add
        for currency_id, iso, name in ((RUB, 'RUB', 'Russian ruble'), (USD, 'USD', 'US dollar'),
                                       (EUR, 'EUR', 'Euro')):
            add('currency', id=currency_id, iso=iso, name=name)
        add('project', id=1, name=f'{self.spec.name.upper()} Hosting', active='on', currency=RUB)
        add('project', id=2, name='Old brand (closed)', active='off', currency=RUB)
        modules = list(PROCESSING_MODULES)
        if self.spec.role == 'reseller':
            modules.append((RESELLER_MODULE_ID, f'Provider {self.spec.provider}', 'pmbillmgr', 'on'))
            # Where and as whom the module reaches the provider's API (lab/providerapi.py). [assumed rows]
            add('processingparam', id=1, processingmodule=RESELLER_MODULE_ID, intname='url',
                value=providerapi.url(self.fleet, self.spec))
            add('processingparam', id=2, processingmodule=RESELLER_MODULE_ID, intname='username',
                value=providerapi.username(self.spec))
            add('processingparam', id=3, processingmodule=RESELLER_MODULE_ID, intname='password',
                value=providerapi.stored_password(self.fleet, self.spec))
        for module_id, name, module, active in modules:
            add('processingmodule', id=module_id, name=name, module=module, active=active)
        for method_id, name, module, active in PAYMETHODS:
            add('paymethod', id=method_id, name=name, module=module, active=active)
        for plan_id, (intname, name, kind, cost) in enumerate(PLANS, start=1):
            add('pricelist', id=plan_id, project=1, intname=intname, name=name, itemtype=kind,
                cost=Decimal(cost), active='on', remoteid=None, syncdate=None)
        if self.spec.role == 'reseller':
            for number, intname in enumerate(SELLABLE):
                plan = PLANS[PLAN_ID[intname] - 1]
                add('pricelist', id=IMPORTED_PLAN_BASE + number, project=1,
                    intname=f'{RESELLER_MODULE_ID}-{intname}', name=f'{plan[1]} ({self.spec.provider})',
                    itemtype=plan[2], cost=(Decimal(plan[3]) * Decimal('1.2')).quantize(Decimal('0.01')), active='on',
                    remoteid=PLAN_ID[intname], syncdate=self.now - timedelta(days=self.rng.randint(2, 60)))
        self.seed.module_logs = [module for _i, _n, module, active in modules + list(PAYMETHODS) if active == 'on']

    def _accounts(self):
        rng = self.rng
        stops = self.spec.fault('early_stop_money', 0) + self.spec.fault('early_stop_addon', 0)
        count = rng.randint(10, 14) + stops
        credit = set(rng.sample(range(1, count + 1), 3))
        clients = []
        for account in range(1, count + 1):
            name = CLIENT_NAMES[(account - 1) % len(CLIENT_NAMES)]
            if account > len(CLIENT_NAMES):
                name += f' {account // len(CLIENT_NAMES) + 1}'
            self._account(account, name, project=2 if rng.random() < 0.1 else 1,
                          balance=Decimal(rng.randint(0, 500000)) / 100,
                          creditlimit=Decimal(rng.choice((500, 1000, 3000))) if account in credit else Decimal(0),
                          partner=rng.randint(1, account - 1) if account > 3 and rng.random() < 0.2 else None)
            clients.append(account)
        for reseller in self.fleet.resellers_of(self.spec.name):
            self._account(RESELLER_ACCOUNT_BASE + reseller.index, f'Reseller {reseller.name}', project=1,
                          balance=Decimal('150000.00'), creditlimit=Decimal('20000.00'), partner=None)
        return clients

    def _account(self, account, name, project, balance, creditlimit, partner):
        slug = ''.join(ch for ch in name.lower() if ch.isalnum())
        self.seed.add('account', id=account, name=name, email=f'billing@{slug}.example',
                      registrationdate=self.now - timedelta(days=self.rng.randint(30, 1500),
                                                            seconds=self.rng.randint(0, 86399)),
                      project=project)
        self.seed.add('subaccount', id=2000 + account, account=account, currency=RUB, balance=balance,
                      creditlimit=creditlimit)
        self.seed.add('account2project', id=account, account=account, project=project, partner=partner,
                      referral=1 if partner else None)

    # ---- items
    def _item(self, account, plan, status, expiredate, module=None, parent=None, remoteid=None, name=None):
        item_id = self.next_item
        self.next_item += 1
        kind = PLANS[PLAN_ID[plan] - 1][2] if plan in PLAN_ID else 'vds'
        self.seed.add('item', id=item_id, account=account, pricelist=PLAN_ID.get(plan, plan), status=status,
                      expiredate=expiredate, processingmodule=module or KIND_MODULE[kind], remoteid=remoteid,
                      parent=parent, name=name or f'{plan} #{item_id}',
                      createdate=self.now - timedelta(days=self.rng.randint(40, 900)))
        return item_id

    def _param(self, item, intname, value):
        self.seed.add('itemparam', id=self.next_param, item=item, intname=intname, value=value)
        self.next_param += 1

    def _server_params(self, item):
        self._param(item, 'hostname', f'srv{item}.example.net')
        self._param(item, 'ip', f'10.{self.spec.index % 250}.{item // 250 % 250}.{item % 250 + 1}')
        self._param(item, 'ostemplate', self.rng.choice(('AlmaLinux-9', 'Ubuntu-22.04', 'Debian-12')))

    def _client_items(self, account):
        rng = self.rng
        expires = self.today + timedelta(days=rng.randint(3, 40))
        vds = self._item(account, rng.choice(VDS_PLANS), ACTIVE, expires)
        self.first_vds[account] = vds
        self._server_params(vds)
        self._item(account, 'vds-traffic', ACTIVE, expires, parent=vds, name='Traffic')
        if rng.random() < 0.4:
            lic = self._item(account, 'ispmgr-lite', ACTIVE, expires, parent=vds, name='ISPmanager license')
            self._param(lic, 'lickey', f'{rng.getrandbits(128):032x}')
            self._param(lic, 'licid', str(rng.randint(1000000, 9999999)))
            # Only the public schema has the table; its value must never reach any output.
            self.seed.add('itemcryptedparam', id=len(self.seed.rows('itemcryptedparam')) + 1, item=lic,
                          intname='panel_password', value=f'{CRYPTED_MARK}{rng.getrandbits(64):016x}')
        # The first five clients hold one service in each status, so every host has all of them.
        statuses = [account] if account <= PROCESSING else []
        statuses += [rng.choice((ORDERED, ACTIVE, ACTIVE, ACTIVE, SUSPENDED, DELETED, PROCESSING))
                     for _extra in range(rng.randint(0, 2))]
        for status in statuses:
            expires = {
                ORDERED: self.today, ACTIVE: self.today + timedelta(days=rng.randint(1, 300)),
                SUSPENDED: self.today - timedelta(days=rng.randint(1, 20)),
                DELETED: self.today - timedelta(days=rng.randint(30, 300)),
                PROCESSING: self.today + timedelta(days=30)}[status]
            plan = rng.choice(SELLABLE)
            module = 3 if status == DELETED and plan in VDS_PLANS and rng.random() < 0.5 else None
            item = self._item(account, plan, status, expires, module=module)
            if plan in VDS_PLANS:
                self._server_params(item)
            else:
                self._param(item, 'domain', f'site{item}.example.ru')

    def _reseller_items(self, clients):
        linked = linked_items(self.fleet, self.spec)
        wrong = drifted(linked, self.fleet, self.spec)
        imported = {intname: IMPORTED_PLAN_BASE + number for number, intname in enumerate(SELLABLE)}
        for number, remote in enumerate(linked):
            status, expires = wrong.get(remote.provider_item, (remote.status, remote.expiredate))
            item = self._item(clients[number % len(clients)], imported[remote.plan], status, expires,
                              module=RESELLER_MODULE_ID, remoteid=remote.provider_item,
                              name=f'{remote.plan} via {self.spec.provider}')
            self._param(item, 'hostname', f'r{remote.provider_item}.example.net')
        self.linked = [(row, row['remoteid'] in wrong) for row in self.seed.rows('item')
                       if row['remoteid'] is not None]

    def _provider_items(self, reseller):
        account = RESELLER_ACCOUNT_BASE + reseller.index
        for remote in linked_items(self.fleet, reseller):
            kind = PLANS[PLAN_ID[remote.plan] - 1][2]
            self.seed.add('item', id=remote.provider_item, account=account, pricelist=PLAN_ID[remote.plan],
                          status=remote.status, expiredate=remote.expiredate, processingmodule=KIND_MODULE[kind],
                          remoteid=None, parent=None, name=f'{remote.plan} for {reseller.name}',
                          createdate=self.now - timedelta(days=self.rng.randint(40, 600)))

    # ---- faults and money
    def _early_stops(self, clients):
        money = self.spec.fault('early_stop_money', 0)
        addon = self.spec.fault('early_stop_addon', 0)
        if not money + addon:
            return
        chosen = self.rng.sample(clients, money + addon)
        items = {row['id']: row for row in self.seed.rows('item')}
        subaccounts = {row['account']: row for row in self.seed.rows('subaccount')}
        for number, account in enumerate(chosen):
            item = items[self.first_vds[account]]
            item['status'] = SUSPENDED
            if number < money:
                have = Decimal(self.rng.randint(0, 4000)) / 100
                amount = Decimal(self.rng.randint(8000, 90000)) / 100
                subaccounts[account]['balance'] = have
                subaccounts[account]['creditlimit'] = Decimal(0)
                self.seed.early_stops.append(EarlyStopFact(
                    item['id'], 'not_enough_money', amount=str(amount), have=str(have), currency='RUB',
                    deficit=str(amount - have), limit='0.00'))
            else:
                self.seed.early_stops.append(EarlyStopFact(item['id'], 'stat_addon_over_limit'))

    def _promised_payments(self):
        stopped = {stop.item for stop in self.seed.early_stops}
        candidates = [row for row in self.seed.rows('item') if row['status'] == ACTIVE and row['parent'] is None
                      and row['id'] not in stopped and row['account'] < RESELLER_ACCOUNT_BASE]
        for number, row in enumerate(self.rng.sample(candidates, min(3, len(candidates))), start=1):
            self.seed.add('promisepayment', id=number, item=row['id'], account=row['account'],
                          amount=Decimal(self.rng.randint(300, 3000)),
                          createdate=self.now - timedelta(hours=self.rng.randint(2, 60)),
                          enddate=self.today + timedelta(days=self.rng.randint(1, 5)))

    def _payments(self, clients):
        rng = self.rng
        payment_id = 5000
        for account in clients:
            for _each in range(rng.randint(1, 3)):
                payment_id += 1
                status = rng.choice((PAY_PAID,) * 6 + (PAY_NEW, PAY_CANCELLED, PAY_FRAUD))
                created = self.now - timedelta(days=rng.randint(1, 120), seconds=rng.randint(0, 86399))
                self.seed.add('payment', id=payment_id, subaccount=2000 + account,
                              paymethod=rng.choice((1, ONLINE_PAYMETHOD)), status=status, createdate=created,
                              paydate=created + timedelta(minutes=rng.randint(1, 90)) if status == PAY_PAID else None,
                              amount=Decimal(rng.randint(100, 20000)), number=f'{self.spec.index}-{payment_id}')
        # Stuck: credited at the payment system (the fake gateway has them as paid), status still 2.
        # Abandoned: checkouts nobody paid; in status 2 as long, but checkpay leaves them there.
        stuck = self.spec.fault('payments_stuck', 0)
        for number in range(stuck + self.spec.settings.get('payments_abandoned', 0)):
            payment_id += 1
            created = self.now - STUCK_MIN_AGE - timedelta(seconds=rng.randint(0, 33 * 3600))
            self.seed.add('payment', id=payment_id, subaccount=2000 + rng.choice(clients),
                          paymethod=ONLINE_PAYMETHOD, status=PAY_IN_PAY, createdate=created, paydate=None,
                          amount=Decimal(rng.randint(100, 20000)), number=f'{self.spec.index}-{payment_id}')
            if number < stuck:
                self.seed.gateway_paid.append(payment_id)

    def _itemevents(self):
        backlog = self.spec.settings.get('itemevent_backlog', 0)
        if not backlog:
            return
        if self.spec.role == 'reseller':
            candidates = [row for row, wrong in self.linked if not wrong]
        else:
            candidates = [row for row in self.seed.rows('item') if row['status'] == ACTIVE and row['parent'] is None]
        for number in range(backlog):
            row = candidates[number % len(candidates)]
            self.seed.add('itemevent', id=number + 1, item=row['id'], status=row['status'],
                          expiredate=row['expiredate'],
                          createdate=self.now - timedelta(minutes=10 + 7 * (backlog - number)))


def build_seed(spec, fleet, now: datetime) -> Seed:
    """The rows of SPEC's database; NOW is the host's clock (naive local time)."""
    return _HostSeeder(spec, fleet, now).build()


def seed_sql(spec, fleet, now: datetime) -> str:
    return render_inserts(build_seed(spec, fleet, now).tables)


def sql_literal(value) -> str:
    if value is None:
        return 'NULL'
    if isinstance(value, bool):
        raise TypeError('the schema has no boolean columns')
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, datetime):
        return f"'{value:%Y-%m-%d %H:%M:%S}'"
    if isinstance(value, date):
        return f"'{value:%Y-%m-%d}'"
    text = str(value).replace('\\', '\\\\').replace("'", "''")
    return f"'{text}'"


def render_inserts(tables: dict, chunk: int = 200, variant: str = 'lab') -> str:
    statements = []
    tables = variant_rows(tables, variant)
    for table, rows in tables.items():
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            columns = list(part[0])
            values = ',\n'.join('(' + ', '.join(sql_literal(row[column]) for column in columns) + ')'
                                for row in part)
            statements.append(f'INSERT INTO `{table}` ({", ".join(columns)}) VALUES\n{values};\n')
    return ''.join(statements)
