"""Development secrets and keys only in development: OSA_ENV=development (or unset) may use them, every other
value refuses them by value, naming the variable and never the value."""

from __future__ import annotations

import base64

import pytest

from osa.config import is_development
from osa.ingest.signature import DEVELOPMENT_WEBHOOK_SECRET, MissingSecretError, resolve_webhook_secret
from osa.pii.keys import DEV_ENCRYPTION_KEYS, DEV_HMAC_KEY, PiiKeyError, PiiKeys

REAL_SECRET = "a-real-webhook-secret-0123456789"
REAL_KEY = base64.b64encode(b"r" * 32).decode()
DEV_KEYS_ENV = {
    "OSA_PII_HMAC_KEY": base64.b64encode(DEV_HMAC_KEY).decode(),
    "OSA_PII_ENCRYPTION_KEYS": ",".join(f"{k}:{base64.b64encode(v).decode()}" for k, v in DEV_ENCRYPTION_KEYS.items()),
    "OSA_PII_ACTIVE_KEY_ID": "dev1",
}
REAL_KEYS_ENV = {"OSA_PII_HMAC_KEY": REAL_KEY, "OSA_PII_ENCRYPTION_KEYS": f"k1:{REAL_KEY}"}
ENVS = {"development": "development", "unset": None, "production": "production", "staging": "staging"}


def _set_env(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    monkeypatch.delenv("OSA_ENVIRONMENT", raising=False)
    if value is None:
        monkeypatch.delenv("OSA_ENV", raising=False)
    else:
        monkeypatch.setenv("OSA_ENV", value)


@pytest.mark.parametrize("env_name", ENVS)
@pytest.mark.parametrize("secret", ["unset", "dev", "real"])
def test_webhook_secret(env_name: str, secret: str, monkeypatch: pytest.MonkeyPatch):
    _set_env(monkeypatch, ENVS[env_name])
    value = {"unset": "", "dev": DEVELOPMENT_WEBHOOK_SECRET, "real": REAL_SECRET}[secret]
    monkeypatch.setenv("OSA_WEBHOOK_SECRET", value)
    development = env_name in ("development", "unset")
    assert is_development() is development
    if secret == "real":
        assert resolve_webhook_secret(allow_development_secret=is_development()) == REAL_SECRET
    elif development:
        assert resolve_webhook_secret(allow_development_secret=is_development()) == DEVELOPMENT_WEBHOOK_SECRET
    else:
        with pytest.raises(MissingSecretError, match="OSA_WEBHOOK_SECRET") as caught:
            resolve_webhook_secret(allow_development_secret=is_development())
        assert DEVELOPMENT_WEBHOOK_SECRET not in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("env_name", ENVS)
@pytest.mark.parametrize("keys", ["unset", "dev", "real"])
def test_pii_keys(env_name: str, keys: str):
    environ = {} if ENVS[env_name] is None else {"OSA_ENV": ENVS[env_name]}
    environ |= {"unset": {}, "dev": DEV_KEYS_ENV, "real": REAL_KEYS_ENV}[keys]
    development = env_name in ("development", "unset")
    if keys == "real":
        assert PiiKeys.from_env(allow_dev_keys=True, environ=environ).encryption_keys == {"k1": b"r" * 32}
    elif development:
        assert PiiKeys.from_env(allow_dev_keys=True, environ=environ).hmac_key == DEV_HMAC_KEY
    else:
        with pytest.raises(PiiKeyError, match="OSA_PII_HMAC_KEY") as caught:
            PiiKeys.from_env(allow_dev_keys=True, environ=environ)
        assert DEV_KEYS_ENV["OSA_PII_HMAC_KEY"] not in str(caught.value)


def test_a_dev_encryption_key_alone_is_refused_outside_development():
    environ = {
        "OSA_ENV": "staging",
        "OSA_PII_HMAC_KEY": REAL_KEY,
        "OSA_PII_ENCRYPTION_KEYS": DEV_KEYS_ENV["OSA_PII_ENCRYPTION_KEYS"],
        "OSA_PII_ACTIVE_KEY_ID": "dev1",
    }
    with pytest.raises(PiiKeyError, match="OSA_PII_ENCRYPTION_KEYS"):
        PiiKeys.from_env(environ=environ)
