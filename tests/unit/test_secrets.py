"""Secrets given by reference: resolved from a file or the environment, never echoed in an error."""
from __future__ import annotations

import stat

import pytest

from control.core.secrets import SecretError, env_variable, is_named_reference, key_file, resolve_secret
from control.settings import Settings


def test_file_and_env_references(tmp_path, monkeypatch):
    path = tmp_path / "device.pw"
    path.write_text("s3cret with spaces\n", encoding="utf-8")
    assert resolve_secret(f"file:{path}") == "s3cret with spaces"
    monkeypatch.setenv("YZ_TEST_SECRET", "from-env")
    assert resolve_secret("env:YZ_TEST_SECRET") == "from-env"


@pytest.mark.parametrize("reference", ["the-key-itself-pasted-by-mistake", "vault:secret/x", "file:", "env:"])
def test_malformed_reference_is_refused_without_echoing_it(reference):
    with pytest.raises(SecretError) as exc:
        resolve_secret(reference)
    assert "file:文件路径、env:环境变量名 或 secret:名称" in str(exc.value)
    assert "pasted" not in str(exc.value) and "vault" not in str(exc.value)


def test_missing_or_empty_secret(tmp_path, monkeypatch):
    with pytest.raises(SecretError, match="密钥文件不存在"):
        resolve_secret(f"file:{tmp_path / 'nope'}")
    monkeypatch.delenv("YZ_TEST_UNSET", raising=False)
    with pytest.raises(SecretError, match="密钥为空"):
        resolve_secret("env:YZ_TEST_UNSET")


def test_default_audit_key_is_a_private_file_created_once(tmp_path):
    settings = Settings(var_dir=tmp_path / "var")
    key = settings.resolved_audit_key()
    path = tmp_path / "var" / "audit_key"
    assert len(key) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings.resolved_audit_key() == key == key_file(path)
    assert [p.name for p in path.parent.iterdir()] == ["audit_key"]      # no temporary file left


def test_audit_key_setting_is_a_reference(tmp_path, monkeypatch):
    monkeypatch.setenv("YZ_AUDIT", "k" * 40)
    assert Settings(var_dir=tmp_path, audit_key="env:YZ_AUDIT").resolved_audit_key() == "k" * 40
    assert not (tmp_path / "audit_key").exists()


def test_named_secret_from_the_folder_then_the_environment(tmp_path, monkeypatch):
    """secret:NAME: the file NAME in YUNZHANG_SECRETS_DIR first, else YUNZHANG_SECRET_<NAME upper, . - → _>."""
    monkeypatch.setenv("YUNZHANG_SECRETS_DIR", str(tmp_path))
    (tmp_path / "sw-edu.enable").write_text("from-file\n", encoding="utf-8")
    monkeypatch.setenv("YUNZHANG_SECRET_SW_EDU_ENABLE", "from-env")
    assert env_variable("sw-edu.enable") == "YUNZHANG_SECRET_SW_EDU_ENABLE"
    assert resolve_secret("secret:sw-edu.enable") == "from-file"
    (tmp_path / "sw-edu.enable").unlink()
    assert resolve_secret("secret:sw-edu.enable") == "from-env"
    monkeypatch.delenv("YUNZHANG_SECRETS_DIR")
    assert resolve_secret("secret:sw-edu.enable") == "from-env"
    monkeypatch.delenv("YUNZHANG_SECRET_SW_EDU_ENABLE")
    with pytest.raises(SecretError, match="密钥为空：secret:sw-edu.enable"):
        resolve_secret("secret:sw-edu.enable")


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b", "", "-x", "x" * 65])
def test_named_secret_never_leaves_the_folder(name, tmp_path, monkeypatch):
    monkeypatch.setenv("YUNZHANG_SECRETS_DIR", str(tmp_path))
    assert not is_named_reference(f"secret:{name}")
    with pytest.raises(SecretError):
        resolve_secret(f"secret:{name}")
