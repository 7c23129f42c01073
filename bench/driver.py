"""Load driver: closed-loop virtual users on threads, one plain HTTP connection per request.

Runs in its own process (``python bench/driver.py config.json results.json``), started by
``bench/run.py``. Each virtual user logs in once (token for API calls, session for pages)
before the clock starts, then repeats its task mix until the phase ends. http.client and
threads keep the driver's own CPU cost small; the server under test shares the machine.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import sys
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HIDDEN_INPUT = re.compile(r"<input[^>]*type=\"hidden\"[^>]*>")
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')


class Response:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """One user: cookies, an optional API token, and the last CSRF token seen."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.token: str | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        api: bool = False,
    ) -> Response:
        all_headers = {"Host": f"{self.host}:{self.port}", "User-Agent": "cnt-bench"}
        if api:
            # API clients authenticate with the token only; a session cookie would make DRF
            # demand a CSRF token as for a browser.
            if self.token:
                all_headers["Authorization"] = f"Token {self.token}"
        elif self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        all_headers.update(headers or {})
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=all_headers)
            raw = conn.getresponse()
            data = raw.read()
            for name, value in raw.getheaders():
                if name.lower() == "set-cookie":
                    pair = value.split(";", 1)[0]
                    key, _, val = pair.partition("=")
                    if val:
                        self.cookies[key.strip()] = val.strip()
                    else:
                        self.cookies.pop(key.strip(), None)
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data)
        finally:
            conn.close()

    def post_json(self, path: str, payload: Any, headers: dict[str, str] | None = None) -> Response:
        return self.request(
            "POST",
            path,
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
            api=True,
        )

    def post_form(self, path: str, fields: list[tuple[str, str]], referer: str) -> Response:
        return self.request(
            "POST",
            path,
            body=urllib.parse.urlencode(fields).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{self.host}:{self.port}{referer}",
                "Origin": f"http://{self.host}:{self.port}",
            },
        )


class Stats:
    """Latencies (seconds) and errors per endpoint name, shared by the phase's threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: dict[str, list[str]] = defaultdict(list)

    def add(self, name: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.latencies[name].append(seconds)
            if not ok:
                self.errors[name] += 1
                if len(self.samples[name]) < 3:
                    self.samples[name].append(detail[:300])


def timed(stats: Stats, name: str, fn: Any, expect: tuple[int, ...]) -> Response | None:
    started = time.perf_counter()
    try:
        resp = fn()
    except Exception as exc:  # a refused or reset connection is an error, not a crash
        stats.add(name, time.perf_counter() - started, False, f"{type(exc).__name__}: {exc}")
        return None
    ok = resp.status in expect
    detail = "" if ok else f"{resp.status}: {resp.body[:250]!r}"
    stats.add(name, time.perf_counter() - started, ok, detail)
    return resp if ok else None


# --- logins -----------------------------------------------------------------------------


def session_login(client: Client, username: str, password: str) -> bool:
    page = client.request("GET", "/accounts/login/")
    match = CSRF_INPUT.search(page.body.decode(errors="replace"))
    if not match:
        return False
    resp = client.post_form(
        "/accounts/login/",
        [("csrfmiddlewaretoken", match.group(1)), ("username", username), ("password", password)],
        "/accounts/login/",
    )
    return resp.status == 302 and "sessionid" in client.cookies


def token_login(client: Client, username: str, password: str) -> bool:
    resp = client.post_json("/api/v1/auth/token/", {"username": username, "password": password})
    if resp.status != 200:
        return False
    client.token = resp.json()["token"]
    return True


# --- tasks ------------------------------------------------------------------------------


# username -> (cookies, token): the load phases log each user in once per run.
_LOGGED_IN: dict[str, tuple[dict[str, str], str | None]] = {}


class User:
    """A virtual user: its client, its unit (nurses) and the endpoints it may use."""

    def __init__(self, cfg: dict[str, Any], spec: dict[str, Any], rng: random.Random) -> None:
        self.cfg, self.spec, self.rng = cfg, spec, rng
        self.client = Client(cfg["host"], cfg["port"])
        self.endpoints = cfg["endpoints"]
        self.admissions = spec["admissions"]

    def login(self, stats: Stats) -> bool:
        """Log in once per user for the whole run (session and token), reused by each phase."""
        user, password = self.spec["username"], self.cfg["password"]
        if user in _LOGGED_IN:
            self.client.cookies, self.client.token = dict(_LOGGED_IN[user][0]), _LOGGED_IN[user][1]
            return True
        started = time.perf_counter()
        ok = session_login(self.client, user, password)
        stats.add("setup: session login", time.perf_counter() - started, ok, "session login")
        started = time.perf_counter()
        ok2 = token_login(self.client, user, password)
        stats.add("setup: token login", time.perf_counter() - started, ok2, "token login")
        if ok and ok2:
            _LOGGED_IN[user] = (dict(self.client.cookies), self.client.token)
        return ok and ok2

    def admission(self) -> dict[str, Any]:
        return self.rng.choice(self.admissions)

    def items(self) -> list[int]:
        total = self.rng.choice([2, 5, 8, 10, 12, 15, 18, 22])
        items = [0] * 20
        for _ in range(total):
            i = self.rng.randrange(20)
            while items[i] >= 4:
                i = self.rng.randrange(20)
            items[i] += 1
        return items

    # Each task records its own request(s) under a stable endpoint name.
    def noop(self, stats: Stats) -> None:
        timed(stats, "noop", lambda: self.client.request("GET", "/bench/noop"), (200,))

    def floor(self, stats: Stats) -> None:
        adm = self.admission()
        payload = {
            "admission_id": adm["id"],
            "user_id": self.spec["user_id"],
            "username": self.spec["username"],
            "patient_public_id": adm["patient_public_id"],
        }
        timed(
            stats,
            "floor (raw SQL save)",
            lambda: self.client.post_json("/bench/floor", payload),
            (201,),
        )

    def api_save(self, stats: Stats) -> None:
        adm = self.admission()
        payload = {
            "admission": adm["public_id"],
            "items": self.items(),
            "vitals": {
                "heart_rate": self.rng.randint(60, 100),
                "systolic_bp": 125,
                "diastolic_bp": 80,
            },
        }
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        timed(
            stats,
            "save assessment (API)",
            lambda: self.client.post_json(self.endpoints["api_save"]["url"], payload, headers),
            (201,),
        )

    def page_save(self, stats: Stats) -> None:
        adm = self.admission()
        url = self.endpoints["page_save"]["url"].replace("ADMISSION", adm["public_id"])
        page = timed(
            stats, "assessment form (GET)", lambda: self.client.request("GET", url), (200,)
        )
        if page is None:
            return
        html = page.body.decode(errors="replace")
        fields: list[tuple[str, str]] = []
        for tag in HIDDEN_INPUT.findall(html):
            attrs = dict(ATTR.findall(tag))
            if "name" in attrs:
                fields.append((attrs["name"], attrs.get("value", "")))
        for n, score in enumerate(self.items(), start=1):
            fields.append((f"item_{n}", str(score)))
        fields += [("heart_rate", str(self.rng.randint(60, 100))), ("sedation_level", "0")]
        resp = timed(
            stats,
            "save assessment (page POST)",
            lambda: self.client.post_form(url, fields, url),
            (302, 303),
        )
        if resp is not None:
            target = resp.headers.get("location", "")
            timed(
                stats,
                "confirmation page (GET)",
                lambda: self.client.request("GET", target),
                (200,),
            )

    def board(self, stats: Stats) -> None:
        url = self.endpoints["board"]["url"].replace("UNIT", self.spec["unit_public_id"])
        timed(stats, "unit board (30 beds)", lambda: self.client.request("GET", url), (200,))

    def timeline(self, stats: Stats) -> None:
        url = self.endpoints["timeline"]["url"].replace("ADMISSION", self.admission()["public_id"])
        timed(stats, "patient timeline", lambda: self.client.request("GET", url), (200,))

    def taper_preview(self, stats: Stats) -> None:
        payload = dict(self.endpoints["taper_preview"]["body"])
        payload["age"] = self.rng.randint(25, 80)
        timed(
            stats,
            "taper preview (API)",
            lambda: self.client.post_json(self.endpoints["taper_preview"]["url"], payload),
            (200,),
        )

    def login_cycle(self, stats: Stats) -> None:
        """The real logins, measured: a fresh session login and a token login."""
        user, password = self.spec["username"], self.cfg["password"]
        fresh = Client(self.cfg["host"], self.cfg["port"])
        started = time.perf_counter()
        ok = session_login(fresh, user, password)
        stats.add("login (session, GET+POST)", time.perf_counter() - started, ok, "failed")
        started = time.perf_counter()
        ok = token_login(fresh, user, password)
        stats.add("login (API token)", time.perf_counter() - started, ok, "failed")

    def sign(self, stats: Stats) -> None:
        """Create a draft taper plan for a patient, then sign it with the password."""
        ep = self.endpoints["sign"]
        adm = self.admission()
        resp = timed(
            stats,
            "taper plan create (API)",
            lambda: self.client.post_json(
                ep["create_url"].replace("ADMISSION", adm["public_id"]), ep["body"]
            ),
            (201,),
        )
        if resp is None:
            return
        plan = resp.json()
        timed(
            stats,
            "taper plan sign (API)",
            lambda: self.client.post_json(
                ep["sign_url"].replace("PLAN", plan["id"]),
                {"password": self.cfg["password"], "meaning": "approved"},
                {"If-Match": f'"{plan.get("lock_version", plan.get("version", 1))}"'},
            ),
            (200,),
        )


NURSE_MIX = (("board", 3), ("timeline", 3), ("page_save", 2), ("api_save", 2))
PHYSICIAN_MIX = (("taper_preview", 4), ("timeline", 2), ("board", 2))


def run_phase(cfg: dict[str, Any], phase: dict[str, Any]) -> dict[str, Any]:
    scenario, n, seconds = phase["scenario"], phase["clients"], phase["seconds"]
    stats = Stats()
    setup_stats = Stats()
    users = [
        User(cfg, spec, random.Random(i * 7919 + hash(scenario) % 1000))
        for i, spec in enumerate(phase["users"][:n])
    ]
    for u in users:
        if scenario not in ("noop", "floor", "login_cycle") and not u.login(setup_stats):
            return {"error": f"login failed for {u.spec['username']}", **_summary(setup_stats, 1)}
    available = {k for k, v in cfg["endpoints"].items() if v}
    if scenario == "mix" and not {name for name, _ in NURSE_MIX} & available:
        return {"error": "not available: none of the mix's endpoints exist", "endpoints": {}}

    def pick(u: User) -> str:
        if scenario != "mix":
            return scenario
        mix = PHYSICIAN_MIX if u.spec["role"] == "physician" else NURSE_MIX
        choices = [(name, w) for name, w in mix if name in available] or [("noop", 1)]
        return u.rng.choices([c for c, _ in choices], [w for _, w in choices])[0]

    deadline = time.perf_counter() + seconds
    max_iterations = phase.get("max_iterations")

    def loop(u: User) -> None:
        done = 0
        while time.perf_counter() < deadline and (max_iterations is None or done < max_iterations):
            getattr(u, pick(u))(stats)
            done += 1

    threads = [threading.Thread(target=loop, args=(u,)) for u in users]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"elapsed": round(elapsed, 2), **_summary(stats, elapsed)}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _summary(stats: Stats, elapsed: float) -> dict[str, Any]:
    endpoints = {}
    for name, values in sorted(stats.latencies.items()):
        endpoints[name] = {
            "count": len(values),
            "errors": stats.errors.get(name, 0),
            "rps": round(len(values) / elapsed, 2) if elapsed else 0,
            "p50_ms": round(_pct(values, 0.50) * 1000, 1),
            "p95_ms": round(_pct(values, 0.95) * 1000, 1),
            "p99_ms": round(_pct(values, 0.99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
            "error_samples": stats.samples.get(name, []),
        }
    return {"endpoints": endpoints}


def main() -> None:
    cfg = json.loads(Path(sys.argv[1]).read_text())
    results = {}
    for phase in cfg["phases"]:
        print(
            f"  phase {phase['name']}: {phase['clients']} client(s), {phase['seconds']} s",
            flush=True,
        )
        results[phase["name"]] = {**phase, "users": None, **run_phase(cfg, phase)}
        for name, e in results[phase["name"]].get("endpoints", {}).items():
            print(
                f"    {name:32} n={e['count']:6} err={e['errors']:4} rps={e['rps']:7} "
                f"p50={e['p50_ms']:7} p95={e['p95_ms']:7} p99={e['p99_ms']:7}",
                flush=True,
            )
        Path(sys.argv[2]).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
