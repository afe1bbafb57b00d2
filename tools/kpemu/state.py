"""What the emulator keeps: the state file and its journal (it survives
restarts), the key indexes by name and by alias, the request log that
/_emulator/requests reads, and the --log text log."""

import collections
import json
import os
import sys
import threading
import time
import uuid

from .wire import b64e, b64url_e, new_uuid

STATE_FORMAT = 1
REQUEST_LOG_MAX = 10000


def write_all(fd, blob):
    off = 0
    while off < len(blob):
        off += os.write(fd, blob[off:])


class Store:
    """The state file plus, in journal mode, an append-only journal.

    snapshot mode: every mutation rewrites FILE (temp file, fsync, rename,
    fsync of the directory).  journal mode (default): every mutation appends
    one JSON line (the changed records) to FILE.journal and fsyncs it before
    the answer is sent; the journal is folded into FILE (same atomic
    snapshot) at start-up and whenever it holds as many records as half the
    number of keys (at least 1000), so the cost per mutation stays O(1) amortized.
    A torn last journal line was never acknowledged and is ignored."""

    def __init__(self, path, do_fsync=True, mode="journal"):
        self.path = os.path.abspath(path)
        self.jpath = self.path + ".journal"
        self.do_fsync = do_fsync
        self.mode = mode
        self.data, replayed = self.load(self.path)
        self.jfd = None
        self.jrecords = 0
        if self.mode == "journal":
            if replayed:
                self.snapshot()
            self.jfd = os.open(self.jpath, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.ftruncate(self.jfd, 0)
        elif replayed:
            self.snapshot()
            os.unlink(self.jpath)

    @staticmethod
    def load(path):
        """Snapshot + journal replay; returns (data, number of records replayed)."""
        path = os.path.abspath(path)
        with open(path, "r", encoding="utf-8") as f:
            data = json.load(f)
        if data.get("format") != STATE_FORMAT:
            raise SystemExit("kp-emulator: %s: unsupported state format" % path)
        try:
            with open(path + ".journal", "rb") as f:
                lines = f.read().split(b"\n")
        except FileNotFoundError:
            return data, 0
        return data, Store.replay(data, lines, path)

    @staticmethod
    def replay(data, lines, path):
        """The journal lines onto data; returns how many records there were."""
        n = 0
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                rec = json.loads(line.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                if i == len(lines) - 1:
                    break  # torn tail: never acknowledged
                raise SystemExit("kp-emulator: %s.journal: corrupt line %d" % (path, i + 1))
            for kid, k in rec.get("put", {}).items():
                data["keys"][kid] = k
            for kid in rec.get("drop", []):
                data["keys"].pop(kid, None)
            for field, v in rec.get("meta", {}).items():
                data[field] = v
            n += 1
        return n

    @staticmethod
    def write_atomic(path, data, do_fsync=True):
        path = os.path.abspath(path)
        d = os.path.dirname(path)
        tmp = os.path.join(d, ".%s.tmp.%d.%d" % (os.path.basename(path),
                                                os.getpid(),
                                                threading.get_ident()))
        blob = json.dumps(data, separators=(",", ":")).encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            write_all(fd, blob)
            if do_fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        if do_fsync:
            dfd = os.open(d, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def snapshot(self):
        self.write_atomic(self.path, self.data, self.do_fsync)

    def commit(self, put=(), drop=(), meta=()):
        """Make a mutation durable, before answering."""
        if self.mode != "journal":
            self.snapshot()
            return
        rec = {}
        if put:
            rec["put"] = {k["id"]: k for k in put}
        if drop:
            rec["drop"] = list(drop)
        if meta:
            rec["meta"] = {f: self.data[f] for f in meta}
        write_all(self.jfd, json.dumps(rec, separators=(",", ":")).encode() + b"\n")
        if self.do_fsync:
            os.fdatasync(self.jfd)
        self.jrecords += 1
        if self.jrecords >= max(1000, len(self.data["keys"]) // 2):
            self.fold()

    def fold(self):
        """The journal into the snapshot, then an empty journal."""
        self.snapshot()
        os.ftruncate(self.jfd, 0)
        if self.do_fsync:
            os.fsync(self.jfd)
        self.jrecords = 0


def new_state(region, instance=None, api_key=None, root_name="kmip-crk"):
    now = time.time()
    account = uuid.uuid4().hex
    instance = instance or new_uuid()
    service_id = "ServiceId-" + new_uuid()
    api_key = api_key or b64url_e(os.urandom(30))
    crk = new_uuid()
    return {
        "format": STATE_FORMAT,
        "region": region,
        "account": account,
        "instance": instance,
        "token_secret": os.urandom(32).hex(),
        "token_generation": 1,
        "api_keys": [{"apikey": api_key, "iam_id": "iam-" + service_id,
                      "sub": service_id, "name": "kmip-service-id"}],
        "key_rings": {"default": {"created": now, "createdBy": "iam-" + service_id}},
        "keys": {crk: make_key(crk, root_name, "KMIP customer root key",
                               False, os.urandom(32), False, "default",
                               "iam-" + service_id, now)},
    }


def make_key(kid, name, description, extractable, material, imported, ring,
             creator, now):
    return {
        "id": kid, "name": name, "description": description,
        "aliases": [], "tags": [], "extractable": bool(extractable),
        "imported": bool(imported), "keyRingID": ring,
        "created": now, "createdBy": creator, "updated": None,
        "rotated": None, "expires": None, "state": 1, "state_changed": now,
        "deleted": None, "deletedBy": None, "pre_delete_state": None,
        "restored": None,
        "versions": [{"id": kid, "created": now, "material": b64e(material)}],
        "dual_auth": False, "dual_auth_set": None, "rotation_policy": None,
    }


class KeyIndex:
    """Key ids by name and by alias (deleted keys too, until purged): the
    alias uniqueness check, alias lookups and exact name searches without a
    scan of every key, which made a create O(keys)."""

    def __init__(self, keys):
        self.by_name = collections.defaultdict(set)
        self.by_alias = collections.defaultdict(set)
        for k in keys.values():
            self.add(k)

    def add(self, k):
        self.by_name[k["name"]].add(k["id"])
        for a in k["aliases"]:
            self.by_alias[a].add(k["id"])

    def remove(self, k):
        drop(self.by_name, k["name"], k["id"])
        for a in k["aliases"]:
            drop(self.by_alias, a, k["id"])

    def add_alias(self, alias, kid):
        self.by_alias[alias].add(kid)

    def remove_alias(self, alias, kid):
        drop(self.by_alias, alias, kid)

    def named(self, name):
        return self.by_name.get(name, ())

    def aliased(self, alias):
        return self.by_alias.get(alias, ())


def drop(index, name, kid):
    owners = index.get(name)
    if owners is not None:
        owners.discard(kid)
        if not owners:
            del index[name]


class RequestLog:
    """The last REQUEST_LOG_MAX IAM and KP requests, numbered from 1."""

    def __init__(self):
        self.entries = collections.deque(maxlen=REQUEST_LOG_MAX)
        self.seq = 0

    def record(self, entry):
        self.seq += 1
        entry["seq"] = self.seq
        self.entries.append(entry)

    def select(self, since, rx, kind):
        return [dict(e) for e in self.entries if e["seq"] > since
                and (rx is None or rx.search(e["path"]))
                and (kind is None or e["kind"] == kind)]

    def clear(self):
        n = len(self.entries)
        self.entries.clear()
        return n


class TextLog:
    """--log FILE: one timestamped line per event ('-' = stderr)."""

    def __init__(self, where):
        self.f = None
        if where == "-":
            self.f = sys.stderr
        elif where:
            self.f = open(where, "a", buffering=1, encoding="utf-8")

    def __call__(self, line):
        if self.f:
            self.f.write("%s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), line))
