"""The Lucid RDP load contract for the real Locust (2.x), the same four user kinds as load/users/contract.ts.

For users who outgrow one machine: Locust's master/worker mode spreads these users over many machines.

    locust -f load/locust/locustfile.py --host http://127.0.0.1:8080 --headless -u 50 -r 5 -t 5m
    # distributed: one master, N workers (on any machines that reach the master and the gateway)
    locust -f load/locust/locustfile.py --master --host http://GATEWAY:8080 --headless -u 1000 -r 50 -t 20m --expect-workers 4
    locust -f load/locust/locustfile.py --worker --master-host MASTER
    # the same, judged by lucid's targets (docs/load.md): lucid runs the master and 2 local workers
    npx lucid load --engine locust --scenario stress --workers 2 --remote-workers 2 --master-port 5557 --host http://GATEWAY:8080
    locust -f load/locust/locustfile.py --worker --master-host THIS-MACHINE --master-port 5557   # on 2 other machines

`--time-scale N` (a custom Locust argument, default 1) divides every wait by N, as `lucid load --time-scale N` does;
give the scaled users, spawn rate and run time on the command line (`lucid load --engine locust` does). In
distributed mode the master sends it to the workers with each spawn message: set it on the master only.

Each behaviour runs its tasks in sequence (xN = N times in a row), waiting between task executions.
Success = 200/201 (200 or 204 for deletes; the anchor answers 201 with its receipt, as the original client expects), plus the fields the original
reads (`token`, `session_id`).
"""
import hashlib
import os
import random
from datetime import datetime, timezone

import locust.runners
from locust import HttpUser, SequentialTaskSet, events

# Debian's python3-locust 2.12.1 ships an empty version string. A worker sends its version when it connects, and
# a master reads an empty one as "an old (pre 2.0) worker" and refuses it, so master/worker mode never starts.
# Both sides load this file, so both send and expect the same non-empty stand-in (a worker from a correctly
# packaged Locust only makes the master log a version warning).
if not locust.runners.__version__:
    locust.runners.__version__ = "unversioned"


@events.init_command_line_parser.add_listener
def _time_scale_argument(parser):
    parser.add_argument("--time-scale", type=float, default=1.0, help="divide every wait by this factor (lucid load --time-scale)")


def scaled_between(low, high):
    """Locust's between(low, high) divided by the run's --time-scale, read at each wait: on a worker the option
    arrives from the master with the spawn message, after the classes are defined."""

    def wait_time(user):
        options = user.environment.parsed_options
        scale = getattr(options, "time_scale", 1.0) if options is not None else 1.0
        return random.uniform(low, high) / max(1.0, scale)

    return wait_time


def _ok(response, codes, field=None):
    """Marks the response failed unless its status is in `codes` and its JSON has `field`."""
    if response.status_code not in codes:
        response.failure(f"HTTP {response.status_code}")
        return None
    if field is None:
        response.success()
        return None
    try:
        value = response.json().get(field)
    except ValueError:
        value = None
    if not isinstance(value, str):
        response.failure(f'response without "{field}"')
        return None
    response.success()
    return value


class _Sequence(SequentialTaskSet):
    token = None
    session_id = None

    def auth(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def login(self, path, username, password):
        with self.client.post(path, json={"username": username, "password": password}, catch_response=True, name=path) as r:
            token = _ok(r, (200, 201), "token")
            if token:
                self.token = token

    def get(self, path, name=None, auth=False):
        with self.client.get(path, headers=self.auth() if auth else {}, catch_response=True, name=name or path) as r:
            _ok(r, (200, 201))

    def create_session(self, quality=False):
        body = {"user_id": self.user.username, "session_type": "rdp", "duration_minutes": random.randint(30, 180)}
        if quality:
            body["quality"] = random.choice(["low", "medium", "high"])
        with self.client.post("/sessions", json=body, headers=self.auth(), catch_response=True, name="/sessions") as r:
            sid = _ok(r, (200, 201), "session_id")
            if sid:
                self.session_id = sid

    def delete_session(self):
        if not self.session_id:
            return
        with self.client.delete(f"/sessions/{self.session_id}", headers=self.auth(), catch_response=True, name="/sessions/[id]") as r:
            _ok(r, (200, 204))
        self.session_id = None


def _repeat(n, fn):
    """A sequential task that runs `fn` n times in a row (each run is one task execution, with a wait after)."""
    return [fn] * n


class APISequence(_Sequence):
    tasks = [
        *_repeat(3, lambda s: s.get("/health")),
        *_repeat(2, lambda s: s.login("/auth/login", s.user.username, "test_password_123")),
        lambda s: s.create_session(),
        *_repeat(2, lambda s: s.get("/sessions", auth=True)),
        lambda s: s.get("/chain/info"),
        lambda s: s.get("/nodes/status"),
        lambda s: s.delete_session(),
    ]


class BlockchainSequence(_Sequence):
    def anchor(self):
        body = {
            "session_id": f"session_{random.randint(1, 1_000_000)}",
            "data_hash": hashlib.sha256(os.urandom(32)).hexdigest(),
            "timestamp": datetime.now(timezone.utc).isoformat(),
        }
        with self.client.post("/chain/anchor", json=body, catch_response=True, name="/chain/anchor") as r:
            _ok(r, (200, 201))

    tasks = [
        *_repeat(3, lambda s: s.get("/chain/info")),
        *_repeat(2, lambda s: s.get("/chain/blocks/latest")),
        lambda s: s.anchor(),
        lambda s: s.get("/chain/consensus/status"),
    ]


class SessionSequence(_Sequence):
    def read_session(self):
        if self.session_id:
            self.get(f"/sessions/{self.session_id}", "/sessions/[id]", auth=True)

    tasks = [
        *_repeat(2, lambda s: s.login("/auth/login", s.user.username, "session_password_123")),
        *_repeat(3, lambda s: s.create_session(quality=True)),
        *_repeat(4, lambda s: s.read_session()),
        lambda s: s.delete_session(),
    ]


class AdminSequence(_Sequence):
    tasks = [
        lambda s: s.login("/admin/auth/login", "admin", "admin_password_123"),
        *_repeat(2, lambda s: s.get("/admin/dashboard/overview", auth=True)),
        lambda s: s.get("/admin/dashboard/metrics", auth=True),
        lambda s: s.get("/admin/users/", auth=True),
    ]


class APIUser(HttpUser):
    weight = 1
    wait_time = scaled_between(1, 3)
    tasks = [APISequence]

    def on_start(self):
        self.username = f"test_user_{random.randint(1, 100)}"


class BlockchainUser(HttpUser):
    weight = 1
    wait_time = scaled_between(5, 10)
    tasks = [BlockchainSequence]

    def on_start(self):
        self.username = f"blockchain_user_{random.randint(1, 100)}"


class SessionUser(HttpUser):
    weight = 1
    wait_time = scaled_between(2, 5)
    tasks = [SessionSequence]

    def on_start(self):
        self.username = f"session_user_{random.randint(1, 50)}"


class AdminUser(HttpUser):
    weight = 1
    wait_time = scaled_between(10, 30)
    tasks = [AdminSequence]

    def on_start(self):
        self.username = "admin"
