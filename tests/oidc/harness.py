"""Start and steer the test OpenID Provider (tests/oidc/provider.mjs) from Python.

    provider = start_provider(clients=[client], users={"ada": {...}}, tmp_dir=tmp_path)
    provider.issuer            # http://127.0.0.1:<port>, the OIDC_ISSUER for the client
    provider.set_user("ada", groups=["healthpm-officers"])
    provider.stop()

The provider runs as a child process with its stdin on a pipe: when this Python process
dies, the pipe closes and the provider exits, so a killed pytest leaves no orphan. It also
stops by itself after `max_seconds`.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.required import unavailable_for

HERE = Path(__file__).parent
PROVIDER_JS = HERE / "provider.mjs"
PACKAGE = HERE.parent / "browser" / "node_modules" / "oidc-provider" / "package.json"
READY_TIMEOUT = 20.0
MIN_NODE = 20  # oidc-provider 9 and its jose 6 need Node 20 (Web Crypto on globalThis)


unavailable = unavailable_for("The OpenID Provider tests")


def node_or_skip() -> str:
    node = shutil.which(os.environ.get("HEALTHPM_NODE", "node"))
    if not node:
        unavailable("Node.js is not installed (.ci/system-deps installs nodejs; HEALTHPM_NODE names another binary).")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    major = int(version.lstrip("v").split(".")[0] or 0) if version.startswith("v") else 0
    if major < MIN_NODE:
        unavailable(f"oidc-provider 9 needs Node.js {MIN_NODE} or later; {node} is {version or 'unknown'}.")
    if not PACKAGE.exists():
        unavailable(f"oidc-provider is missing at {PACKAGE.parent} (`make install` runs npm ci --prefix tests/browser).")
    return node


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client(client_id: str, client_secret: str, redirect_uris: list[str], post_logout_redirect_uris=(), **metadata):
    """One client registration. Extra metadata (token_endpoint_auth_method, backchannel_logout_uri …)
    passes through to oidc-provider; the secret goes in the token request body unless told otherwise."""
    return {"client_id": client_id, "client_secret": client_secret, "redirect_uris": list(redirect_uris),
            "post_logout_redirect_uris": list(post_logout_redirect_uris), **metadata}


def user(username: str, *, password: str = "op-password", groups=(), **claims) -> dict:
    """A user record with every claim filled, so a test names only what it cares about."""
    given, family = claims.pop("given_name", username.title()), claims.pop("family_name", "Tester")
    return {"password": password, "sub": claims.pop("sub", f"sub-{username}"), "name": f"{given} {family}",
            "given_name": given, "family_name": family, "email": f"{username}@hospital.example",
            "email_verified": True, "groups": list(groups), **claims}


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen
    users_file: Path
    state: dict = field(default_factory=dict)

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def users(self) -> dict:
        return self.state["users"]

    def _save(self) -> None:
        # Write then rename: the provider reads the file at every login and must never see half of it.
        tmp = self.users_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state))
        tmp.replace(self.users_file)

    def set_user(self, username: str, **fields) -> dict:
        """Add a user (filled in by `user()`) or change some of an existing user's fields, e.g.
        set_user("ada", groups=["healthpm-admins"]). Takes effect at the user's next login."""
        users = self.state["users"]
        users[username] = {**users[username], **fields} if username in users else user(username, **fields)
        self._save()
        return users[username]

    def remove_group(self, username: str, group: str) -> None:
        record = self.state["users"][username]
        record["groups"] = [g for g in record["groups"] if g != group]
        self._save()

    def remove_user(self, username: str) -> None:
        """The provider no longer knows the user: the next login fails, as for a leaver."""
        self.state["users"].pop(username, None)
        self._save()

    def set_stale_auth(self, seconds: int) -> None:
        """Logins completed from now on report an auth_time `seconds` in the past (0: now)."""
        self.state["stale_auth_seconds"] = int(seconds)
        self._save()

    def reset(self) -> None:
        """No users and fresh auth times, as at start (between tests sharing one provider)."""
        self.state["users"].clear()
        self.state["stale_auth_seconds"] = 0
        self._save()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # provider.mjs exits on stdin EOF
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()


def start_provider(clients: list[dict], users: dict[str, dict], tmp_dir, *, max_seconds: int = 3600) -> Provider:
    """Start the provider on a free loopback port with these clients and users; return once it listens.

    `users` maps a username to a full record (see `user()`) or to keyword fields for `user()`."""
    node = node_or_skip()
    tmp_dir = Path(tmp_dir)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    users_file = tmp_dir / "oidc-users.json"
    state = {"users": {name: (record if "sub" in record and "password" in record else user(name, **record))
                       for name, record in users.items()},
             "stale_auth_seconds": 0}
    users_file.write_text(json.dumps(state))
    config_file = tmp_dir / "oidc-provider.json"
    config_file.write_text(json.dumps({"port": port, "issuer": issuer, "users_file": str(users_file),
                                       "clients": clients}))
    stderr_file = (tmp_dir / "oidc-provider.stderr").open("w+")
    process = subprocess.Popen(
        [node, str(PROVIDER_JS), str(config_file), "--max-seconds", str(max_seconds)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr_file, text=True,
    )
    provider = Provider(issuer=issuer, process=process, users_file=users_file, state=state)
    if not _wait_ready(process, issuer):
        provider.stop()
        stderr_file.seek(0)
        raise RuntimeError(f"The test OpenID Provider did not start within {READY_TIMEOUT:.0f} s "
                           f"(exit code {process.returncode}):\n{stderr_file.read()}")
    stderr_file.close()
    return provider


def _wait_ready(process: subprocess.Popen, issuer: str) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not selector.select(timeout=left):
                return False
            line = process.stdout.readline()
            if not line:  # EOF: the process ended
                process.wait()
                return False
            if line.strip() == f"READY {issuer}":
                return True
    return False
