from __future__ import annotations

from pathlib import Path

import pytest

from app.config import from_env


def test_defaults_need_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "STORAGE_DIR", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    config = from_env(str(tmp_path / "instance"))
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'cobrand.db'}"
    assert config["REDIS_URL"] is None
    assert config["STORAGE_DIR"] == str(tmp_path / "instance" / "storage")
    assert config["SESSION_COOKIE_SECURE"] is False
    # The generated key is kept: a restart must not sign everybody out.
    assert len(config["SECRET_KEY"]) >= 32
    assert from_env(str(tmp_path / "instance"))["SECRET_KEY"] == config["SECRET_KEY"]
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/x")
    monkeypatch.setenv("REDIS_URL", "redis://r:6379/2")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://partners.example.com/")
    config = from_env(str(tmp_path))
    assert config["SECRET_KEY"] == "from-env"
    assert config["DATABASE_URL"] == "postgresql://db/x"
    assert config["REDIS_URL"] == "redis://r:6379/2"
    assert config["PUBLIC_BASE_URL"] == "https://partners.example.com"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert not (tmp_path / "secret_key").exists()


def test_periodic_jobs_set_intervals_of_known_jobs_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import create_app

    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("PERIODIC_JOBS", "cobrand.purge_dead_tokens=2.5")
    assert from_env(str(tmp_path))["PERIODIC_JOBS"] == {"cobrand.purge_dead_tokens": 2.5}
    beat = create_app({"REDIS_URL": None}).extensions["celery"].conf.beat_schedule
    assert beat["cobrand.purge_dead_tokens"]["schedule"] == 2.5
    for bad in ("cobrand.purge_dead_tokens", "cobrand.purge_dead_tokens=0", "x=soon"):
        monkeypatch.setenv("PERIODIC_JOBS", bad)
        with pytest.raises(ValueError, match="PERIODIC_JOBS"):
            from_env(str(tmp_path))
    monkeypatch.setenv("PERIODIC_JOBS", "cobrand.no_such_job=5")
    with pytest.raises(ValueError, match="no_such_job"):
        create_app({"REDIS_URL": None})


def test_processes_starting_together_agree_on_one_complete_secret_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from app.config import _secret_key

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with ThreadPoolExecutor(16) as pool:
        keys = set(pool.map(lambda _: _secret_key(tmp_path / "instance"), range(64)))
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert [p.name for p in (tmp_path / "instance").iterdir()] == ["secret_key"]


def test_storage_url_chooses_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app import create_app
    from prm_domain.storage import LocalStorage, S3Storage

    monkeypatch.delenv("STORAGE_URL", raising=False)
    config = from_env(str(tmp_path))
    assert (config["STORAGE_URL"], config["S3_PRESIGN_SECONDS"]) == (None, 300)
    local = create_app({**config, "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"})
    assert isinstance(local.extensions["cobrand.storage"], LocalStorage)

    monkeypatch.setenv("STORAGE_URL", "s3://cobrand-files/prod")
    monkeypatch.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("S3_PRESIGN_SECONDS", "0")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    config = from_env(str(tmp_path))
    remote = create_app({**config, "DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"})
    store = remote.extensions["cobrand.storage"]
    assert isinstance(store, S3Storage)
    assert (store.bucket, store.prefix, store.presign_seconds) == ("cobrand-files", "prod/", 0)
    assert store.client.meta.endpoint_url == "http://127.0.0.1:9"
