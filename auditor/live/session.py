"""boto3 sessions for an audit: base credentials (profile / environment),
assumed roles per account, botocore adaptive retries, and an API-call
counter hooked into every client (``before-call`` fires once per operation,
``before-send`` once per HTTP attempt, so retries are counted apart).

boto3 sessions are not thread-safe: every worker builds its own from the
frozen credentials of a ``Target`` (clients are thread-safe and are shared
inside one region's collection)."""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from botocore.loaders import Loader

from ..credentials import SET, CredentialsError, message

Hook = Callable[[Any], None]  # called with each new boto3.Session


class _Paths(list):
    """Search paths that each new boto3.Session appends its own data
    directory to: kept once, however many sessions share the loader."""

    def append(self, path: Any) -> None:
        if path not in self:
            super().append(path)


class _SharedLoader(Loader):
    """botocore's data loader (service models, endpoints), shared by every
    session of the process: each new session would otherwise parse the same
    large JSON models again, most of the CPU of an audit of a few endpoints
    in many regions. Serialised because botocore mutates a model in place
    while loading it (sessions are per thread; this is the shared part)."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._lock = threading.RLock()
        self._search_paths = _Paths(self._search_paths)

    def list_available_services(self, *a: Any, **kw: Any) -> Any:
        with self._lock:
            return super().list_available_services(*a, **kw)

    def determine_latest_version(self, *a: Any, **kw: Any) -> Any:
        with self._lock:
            return super().determine_latest_version(*a, **kw)

    def list_api_versions(self, *a: Any, **kw: Any) -> Any:
        with self._lock:
            return super().list_api_versions(*a, **kw)

    def load_service_model(self, *a: Any, **kw: Any) -> Any:
        with self._lock:
            return super().load_service_model(*a, **kw)

    def load_data_with_path(self, *a: Any, **kw: Any) -> Any:
        with self._lock:
            return super().load_data_with_path(*a, **kw)


_LOADERS: dict[Optional[str], _SharedLoader] = {}  # AWS_DATA_PATH -> its loader
_LOADERS_LOCK = threading.Lock()


def new_session(**kw: Any) -> boto3.Session:
    """``boto3.Session(**kw)`` whose service models are parsed once per
    process (see ``_SharedLoader``)."""
    import botocore.session

    core = botocore.session.get_session()
    data_path = core.get_config_variable("data_path")
    with _LOADERS_LOCK:
        loader = _LOADERS.get(data_path)
        if loader is None:
            paths = [os.path.expanduser(os.path.expandvars(p)) for p in data_path.split(os.pathsep)] if data_path else None
            loader = _LOADERS[data_path] = _SharedLoader(extra_search_paths=paths)
    core.register_component("data_loader", loader)
    return boto3.Session(botocore_session=core, **kw)


@dataclass
class CallCounter:
    """(service, operation) -> calls, shared by all threads of a run."""

    calls: Counter = field(default_factory=Counter)
    attempts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def before_call(self, model: Any = None, **_kw: Any) -> None:
        if model is None:
            return
        key = (model.service_model.service_name, model.name)
        with self._lock:
            self.calls[key] += 1

    def before_send(self, **_kw: Any) -> None:
        with self._lock:
            self.attempts += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def operations(self) -> set[tuple[str, str]]:
        return set(self.calls)


@dataclass
class Credentials:
    access_key: str
    secret_key: str
    token: Optional[str] = None


@dataclass
class SessionFactory:
    """Makes per-thread sessions with the run's profile, credentials, hooks."""

    profile: Optional[str] = None
    counter: CallCounter = field(default_factory=CallCounter)
    hooks: list[Hook] = field(default_factory=list)
    max_attempts: int = 8
    pool: int = 16  # HTTP connections per client (the in-region describe pool)
    connect_timeout: float = 10
    read_timeout: float = 30

    def config(self) -> Config:
        return Config(retries={"mode": "adaptive", "max_attempts": self.max_attempts},
                      max_pool_connections=self.pool, connect_timeout=self.connect_timeout,
                      read_timeout=self.read_timeout, user_agent_extra="sm-audit")

    def session(self, region: Optional[str] = None, creds: Optional[Credentials] = None) -> boto3.Session:
        if creds is not None:
            s = new_session(aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key,
                            aws_session_token=creds.token, region_name=region)
        else:
            s = new_session(profile_name=self.profile, region_name=region)
        s.events.register("before-call", self.counter.before_call)
        s.events.register("before-send", self.counter.before_send)
        for h in self.hooks:
            h(s)
        return s

    def client(self, session: boto3.Session, service: str, region: Optional[str] = None) -> Any:
        return session.client(service, region_name=region or session.region_name, config=self.config())

    def assume(self, role_arn: str, region: Optional[str] = None) -> Credentials:
        base = self.session(region)
        sts = self.client(base, "sts", region or base.region_name or "us-east-1")
        r = sts.assume_role(RoleArn=role_arn, RoleSessionName="sm-audit", DurationSeconds=3600)["Credentials"]
        return Credentials(r["AccessKeyId"], r["SecretAccessKey"], r["SessionToken"])


def check_credentials(profile: Optional[str]) -> None:
    """Fail early, without an API call, when no credentials can be found."""
    try:
        creds = boto3.Session(profile_name=profile).get_credentials()
    except BotoCoreError as e:
        raise CredentialsError(message(e) or f"{e}: {SET}") from None
    if creds is None:
        raise CredentialsError(f"no AWS credentials found: {SET}")
