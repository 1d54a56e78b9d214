"""Shared code of the lab's stand-in BILLmanager programs: paths, state, logs, database, processes.

Stdlib only, run by /usr/bin/python3 on a lab host. Every call of a stand-in is a fresh process, so
all state lives in JSON files under lab/ of the mgr root; the mgr root is found from the script's
own path, never assumed to be /usr/local/mgr5.
"""

import fcntl
import json
import os
import re
import signal
import subprocess
import time

MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')
# Same colours as the lab's log generator, so old and new lines look alike.
COLOURS = {'ERROR': '\x1b[1;31m', 'WARNING': '\x1b[1;33m', 'INFO': '\x1b[32m', 'EXTINFO': '\x1b[36m',
           'DEBUG': '\x1b[37m'}
RESET = '\x1b[0m'
# debug.conf level a record needs before it is written (3 errors ... 6 extended info, 9 debug).
LEVEL_NUMBER = {'ERROR': 3, 'WARNING': 4, 'INFO': 5, 'EXTINFO': 6, 'DEBUG': 9}
DEFAULT_DEBUG_LEVEL = 6
SAFE_NAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$')
MYSQL_CLIENTS = ('/usr/bin/mysql', '/usr/bin/mariadb')


class DbError(Exception):
    """The database did not answer or refused the statement."""


def stamp(seconds, day='space'):
    """`Mon DD HH:MM:SS` in local time; DAY 'space' pads the day as the platform does, 'zero' with 0."""
    t = time.localtime(seconds)
    day_text = '%2d' % t.tm_mday if day == 'space' else '%02d' % t.tm_mday
    return '%s %s %02d:%02d:%02d' % (MONTHS[t.tm_mon - 1], day_text, t.tm_hour, t.tm_min, t.tm_sec)


def iso(seconds):
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.localtime(seconds))


def read_json(path, default):
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return default


def write_json(path, data):
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(tmp, 'w', encoding='utf-8') as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
    os.replace(tmp, path)


def read_conf(path):
    """An ISPsystem config file (`Name value` lines) -> dict; later lines win."""
    values = {}
    try:
        with open(path, encoding='utf-8') as handle:
            for line in handle:
                line = line.strip()
                if not line or line.startswith('#'):
                    continue
                name, _sep, value = line.partition(' ')
                values[name] = value.strip()
    except OSError:
        pass
    return values


def option_value(value):
    """A value for a MySQL option file, quoted so that any password survives."""
    return '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"')


class Host:
    """One platform install, rooted at the directory above the calling script's own directory."""

    def __init__(self, root):
        self.root = root
        self.settings = read_json(self.path('lab', 'settings.json'), {})
        self.manager = self.settings.get('manager', 'billmgr')

    @classmethod
    def from_script(cls, script):
        return cls(os.path.dirname(os.path.dirname(os.path.realpath(script))))

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    # ---- state
    def state(self, name='platform'):
        return read_json(self.path('lab', name + '.json'), {})

    def save_state(self, data, name='platform'):
        write_json(self.path('lab', name + '.json'), data)

    def locked(self):
        """An exclusive lock on the lab state, held until the returned file is closed."""
        handle = open(self.path('lab', '.lock'), 'a')
        fcntl.flock(handle, fcntl.LOCK_EX)
        return handle

    def maintenance(self):
        return os.path.exists(self.path('etc', self.manager + '.DoNothing'))

    # ---- logs
    def debug_conf(self):
        """(levels {pattern: level}, colour on) from etc/debug.conf."""
        levels, colour = {}, False
        try:
            with open(self.path('etc', 'debug.conf'), encoding='utf-8') as handle:
                lines = handle.read().splitlines()
        except OSError:
            lines = []
        for line in lines:
            words = line.split()
            if not words or words[0].startswith('#'):
                continue
            if words[0] == 'SET' and len(words) > 1:
                name, _sep, value = words[1].partition('=')
                if name == 'color':
                    colour = value.lower() in ('on', 'yes', 'true', '1')
            elif len(words) >= 2 and words[1].isdigit():
                levels[words[0]] = int(words[1])
        return levels, colour

    def log_level(self, levels, log, logger):
        for pattern in ('%s.%s' % (log, logger), log + '.*', log, '*.' + logger, '*'):
            if pattern in levels:
                return levels[pattern]
        return DEFAULT_DEBUG_LEVEL

    def log(self, log, logger, level, message, key=None, day='space'):
        """Append one record to var/LOG.log if debug.conf lets LEVEL through; a full disk is ignored."""
        levels, colour = self.debug_conf()
        if LEVEL_NUMBER[level] > self.log_level(levels, log, logger):
            return
        word = COLOURS[level] + level + RESET if colour else level
        line = '%s [%s] %s %s %s\n' % (stamp(time.time(), day), key or self.thread_key(), logger, word, message)
        try:
            fd = os.open(self.path('var', log + '.log'), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode('utf-8'))
            finally:
                os.close(fd)
        except OSError:
            pass

    def thread_key(self):
        """`[PID:THREAD]` as core would write it: core's pid, this request as the thread."""
        core = self.running('core')
        return '%d:%d' % (core or os.getpid(), os.getpid())

    # ---- processes
    def pid_file(self, name):
        return self.path('var', 'run', name + '.pid')

    def running(self, name):
        """The pid of the live NAME process of this host from its pid file, else None."""
        try:
            with open(self.pid_file(name)) as handle:
                pid = int(handle.read().strip())
            with open('/proc/%d/stat' % pid) as handle:
                stat = handle.read()
        except (OSError, ValueError):
            return None
        comm = stat[stat.index('(') + 1:stat.rindex(')')]
        state = stat[stat.rindex(')') + 2:].split()[0]
        return pid if comm == name and state not in ('Z', 'X') else None

    def spawn(self, relative, name):
        """Start the program RELATIVE detached (own session, no terminal) and record its pid."""
        os.makedirs(self.path('var', 'run'), exist_ok=True)
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            proc = subprocess.Popen([self.path(relative)], cwd=self.root, stdin=devnull, stdout=devnull,
                                    stderr=devnull, start_new_session=True, close_fds=True)
        finally:
            os.close(devnull)
        self.write_pid(name, proc.pid)
        return proc.pid

    def write_pid(self, name, pid):
        # The spawner and the process itself both write the file: through a rename, so a reader
        # never meets it empty between one's truncation and its write.
        # var/ may be a full filesystem (disk_pressure): the process runs on without its pid file.
        temp = '%s.%d.tmp' % (self.pid_file(name), os.getpid())
        try:
            with open(temp, 'w') as handle:
                handle.write('%d\n' % pid)
            os.replace(temp, self.pid_file(name))
        except OSError:
            try:
                os.unlink(temp)
            except OSError:
                pass

    def stop(self, name, timeout=3.0):
        """SIGTERM the running NAME, SIGKILL after TIMEOUT; True when one was running."""
        pid = self.running(name)
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.running(name) == pid:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + timeout
            time.sleep(0.01)
        try:
            os.unlink(self.pid_file(name))
        except OSError:
            pass
        return True

    def serve_forever(self, name, log, logger):
        """Be the long-running NAME process: pid file, a start line, and a clean stop on SIGTERM."""
        os.makedirs(self.path('var', 'run'), exist_ok=True)
        self.write_pid(name, os.getpid())
        key = '%d:1' % os.getpid()

        def finish(signum, _frame):
            self.log(log, logger, 'INFO', '%s stopped by signal %d' % (name, signum), key)
            try:
                with open(self.pid_file(name)) as handle:
                    if int(handle.read().strip()) == os.getpid():
                        os.unlink(self.pid_file(name))
            except (OSError, ValueError):
                pass
            os._exit(0)

        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, finish)
        # Only now: whoever waits for this line may stop the process cleanly.
        self.log(log, logger, 'INFO', '%s started, version %s' % (name, self.settings.get('version', '')), key)
        while True:
            signal.pause()

    # ---- database
    def db_conf(self):
        conf = read_conf(self.path('etc', self.manager + '.conf'))
        conf_dir = self.path('etc', self.manager + '.conf.d')
        try:
            names = sorted(os.listdir(conf_dir))
        except OSError:
            names = []
        for name in names:
            if name.endswith('.conf'):
                conf.update(read_conf(os.path.join(conf_dir, name)))
        return conf

    def sql(self, text):
        """Run TEXT with the platform's own credentials; rows as lists of strings.

        The password travels in a 0600 option file that exists only for this call, so it is
        never on a command line.
        """
        conf = self.db_conf()
        lines = ['[client]', 'user=' + option_value(conf.get('DBUser', 'root')),
                 'password=' + option_value(conf.get('DBPassword', '')),
                 'host=' + option_value(conf.get('DBHost', 'localhost'))]
        if self.settings.get('db_socket'):
            lines.append('socket=' + option_value(self.settings['db_socket']))
        option_file = self.path('lab', 'run', 'db-%d.cnf' % os.getpid())
        os.makedirs(os.path.dirname(option_file), mode=0o700, exist_ok=True)
        fd = os.open(option_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, ('\n'.join(lines) + '\n').encode('utf-8'))
            os.close(fd)
            client = next((path for path in MYSQL_CLIENTS if os.path.exists(path)), 'mysql')
            argv = [client, '--defaults-extra-file=' + option_file, '--batch', '--skip-column-names',
                    '--default-character-set=utf8mb4', conf.get('DBName', self.manager)]
            result = subprocess.run(argv, input=text.encode('utf-8'), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, timeout=60)
        finally:
            os.unlink(option_file)
        if result.returncode != 0:
            raise DbError(result.stderr.decode('utf-8', 'replace').strip() or 'mysql exited with %d'
                          % result.returncode)
        return [line.split('\t') for line in result.stdout.decode('utf-8', 'replace').splitlines()]


def license_file_text(lic):
    """etc/<mgr>.lic: the license's id, product and expiry, never the activation key."""
    import base64
    body = json.dumps({'id': lic['id'], 'product': lic['product'], 'expire': lic['expire']}).encode()
    return '# %s license, written by licctl; do not edit\n%s\n' % (lic['product'], base64.b64encode(body).decode())


def sql_string(value):
    return "'" + str(value).replace('\\', '\\\\').replace("'", "\\'") + "'"


def sql_now(seconds=None):
    """The host's clock as a DATETIME literal; the database server may keep another clock."""
    return "'%s'" % time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(seconds or time.time()))


def hang_forever():
    while True:
        time.sleep(3600)
