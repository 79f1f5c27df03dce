"""Configuration errors end the process with one clear line and exit code 2; the CLI works."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.fixtures import ROOT, regie_env


def regie(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "regie.cli", *args],
        cwd=ROOT,
        text=True,
        capture_output=True,
        env=regie_env(**env),
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"REGIE_DATABASE_URL": "not a url"}, "REGIE_DATABASE_URL"),
        ({"REGIE_DATABASE_URL": "mysql://x@localhost/db"}, "REGIE_DATABASE_URL"),
        ({"REGIE_PORT": "99999"}, "REGIE_PORT"),
        ({"REGIE_ENV": "production", "REGIE_SECRET_KEY": ""}, "REGIE_SECRET_KEY"),
        (
            {
                "REGIE_ENV": "production",
                "REGIE_SECRET_KEY": "x" * 40,
                "REGIE_DATABASE_URL": "sqlite:///var/x.db",
            },
            "REGIE_DATABASE_URL",
        ),
        ({"REGIE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, "REGIE_DATABASE_URL"),
        ({"REGIE_DEMO_SIGN_IN": "true", "REGIE_HOST": "0.0.0.0"}, "REGIE_DEMO_SIGN_IN"),
    ],
)
def test_bad_configuration_exits_2_with_one_line(env: dict[str, str], variable: str) -> None:
    result = regie("check-config", **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0] and "Traceback" not in result.stderr


def test_check_config_masks_secrets() -> None:
    result = regie("check-config", REGIE_SECRET_KEY="s3cret-value-that-is-long-enough-000")
    assert result.returncode == 0, result.stderr
    assert "s3cret" not in result.stdout
    assert "REGIE_SECRET_KEY=********" in result.stdout
    assert "REGIE_DATABASE_URL=" in result.stdout


def test_help_explains_every_command() -> None:
    out = regie("--help").stdout
    for command in (
        "serve",
        "worker",
        "beat",
        "migrate",
        "seed-demo",
        "tenant",
        "check-config",
        "up",
    ):
        assert command in out
    assert "Create a tenant" in regie("tenant", "create", "--help").stdout


def test_tenant_create_list_and_refuse_duplicates() -> None:
    created = regie("tenant", "create", "gemeente-test", "--name", "Gemeente Test")
    assert created.returncode == 0, created.stderr
    again = regie("tenant", "create", "gemeente-test", "--name", "Again")
    assert again.returncode == 1 and "exists" in again.stderr
    listed = [json.loads(line) for line in regie("tenant", "list").stdout.splitlines()]
    assert [t["slug"] for t in listed] == ["gemeente-test"]


def test_a_commands_jobs_reach_the_configured_broker(tmp_path) -> None:
    """The audit checkpoint a command's write asks for is queued on the installation's broker."""
    regie("tenant", "create", "broker-check", "--name", "Broker check")
    folder = tmp_path / "broker"
    issued = regie(
        "apikey",
        "create",
        "--tenant",
        "broker-check",
        "--name",
        "ci",
        "--permission",
        "tickets:read",
        REGIE_BROKER_URL="filesystem://",
        REGIE_BROKER_FOLDER=str(folder),
    )
    assert issued.returncode == 0, issued.stderr
    queued = [p.read_text() for p in (folder / "queue").glob("*")]
    assert any("audit.checkpoint" in message for message in queued)


def test_seed_demo_runs_once(client) -> None:
    assert "created" in regie("seed-demo").stdout
    assert "nothing seeded" in regie("seed-demo").stdout
    token = regie(
        "apikey",
        "create",
        "--tenant",
        "demo",
        "--name",
        "t",
        "--permission",
        "services.catalogue:read",
        "--permission",
        "tickets:read",
    ).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    items = client.get("/api/v1/services", headers=headers).json()["items"]
    assert len(items) == 5
    groups = client.get("/api/v1/assignment-groups", headers=headers).json()["items"]
    # Every seeded group names a manager, so a hierarchical escalation has somewhere to go.
    assert len(groups) == 4 and all(g["managerId"] and g["managerName"] for g in groups)


def test_apikey_with_unknown_permission_is_refused() -> None:
    regie("tenant", "create", "t-perm", "--name", "T")
    result = regie("apikey", "create", "--tenant", "t-perm", "--name", "x", "--permission", "root")
    assert result.returncode == 1 and "Unknown permission" in result.stderr
