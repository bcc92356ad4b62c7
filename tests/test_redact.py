"""Secrets never leave a test run: redaction of output, evidence and everything passed on."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loopd.redact import Redactor, env_files, env_secrets, environ_secrets, worth_redacting

redact = Redactor()

SECRET_LINES = [
    ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
    ('curl -H "Authorization: Basic dXNlcjpwYXNz" http://x', "dXNlcjpwYXNz"),
    ("authorization=Token 9f8e7d6c5b4a", "9f8e7d6c5b4a"),
    ("Proxy-Authorization: Bearer pr0xyt0ken", "pr0xyt0ken"),
    ("Cookie: session=abcdef123456; theme=dark", "abcdef123456"),
    ("Set-Cookie: sid=s3cr3tc00kie; HttpOnly", "s3cr3tc00kie"),
    ("password=hunter22 user=bob", "hunter22"),
    ("DB_PASSWORD: 'p@ss w0rd'", "p@ss"),
    ('{"api_key": "AbCdEf123456", "n": 1}', "AbCdEf123456"),
    ("client_secret => 'zzzyyyxxx111'", "zzzyyyxxx111"),
    ("GET /cb?code=1&access_token=tok123456&x=2", "tok123456"),
    ("mytool --token abcdef987654 --verbose", "abcdef987654"),
    ("mytool --api-key=k3yk3yk3y", "k3yk3yk3y"),
    ("postgres://app:dbpassw0rd@db:5432/app", "dbpassw0rd"),
    ("using ghp_0123456789abcdefghijABCDEFGHIJ", "ghp_0123456789abcdefghijABCDEFGHIJ"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "github_pat_11ABCDEFG0123456789"),
    ("aws AKIAIOSFODNN7EXAMPLE key", "AKIAIOSFODNN7EXAMPLE"),
    ("slack xoxb-123456789012-abcdefghij", "xoxb-123456789012-abcdefghij"),
    ("anthropic sk-ant-api03-abcdefghijklmnop", "sk-ant-api03-abcdefghijklmnop"),
    ("stripe sk_live_abcdefghijklmnop1234", "sk_live_abcdefghijklmnop1234"),
    ("google AIzaSyA-0123456789abcdefghijklmnopqrstu", "AIzaSyA-0123456789abcdefghijklmnopqrstu"),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        "dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    ),
]


@pytest.mark.parametrize(("line", "secret"), SECRET_LINES)
def test_secrets_are_redacted(line: str, secret: str) -> None:
    result = redact(line)
    assert secret not in result
    assert "[REDACTED" in result


def test_a_private_key_block_is_redacted_whole() -> None:
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabcdef\n-----END RSA PRIVATE KEY-----"
    result = redact(f"key:\n{pem}\ndone")
    assert "MIIEowIBAAKCAQEA" not in result and "abcdef" not in result
    assert result.endswith("done")


@pytest.mark.parametrize(
    "line",
    [
        "GET /api/users returned 401 Unauthorized",
        "AssertionError: assert 3 == 4",
        "RESULT: PASS",
        "tests pass: 5, failed: 0",
        "connection refused on localhost:8000",
        "Invalid token",
        "the author: Bob",
    ],
)
def test_ordinary_evidence_is_left_alone(line: str) -> None:
    assert redact(line) == line


def test_the_auth_scheme_stays_readable() -> None:
    assert redact("Authorization: Bearer abc123") == "Authorization: Bearer [REDACTED]"


def test_values_from_env_files_are_redacted_wherever_they_appear(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "API_TOKEN=tok-4f9a8b7c\nPORT=8000\nHOST=localhost\nexport SESSION_KEY='q1w2e3r4'\n"
        "BUILD_ID=b7f3c9d2e8a14f06\n"
    )
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / ".env.local").write_text('DB_PASSWORD="correct horse"\n')
    (tmp_path / ".env.example").write_text("API_TOKEN=changeme-placeholder\n")
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / ".env").write_text("NPM_TOKEN=from-a-dependency\n")

    redactor = Redactor.for_repo(tmp_path)
    text = redactor(
        "sent tok-4f9a8b7c to localhost:8000 as q1w2e3r4; db said correct horse; "
        "build b7f3c9d2e8a14f06; placeholder changeme-placeholder"
    )

    assert "tok-4f9a8b7c" not in text and "[REDACTED:API_TOKEN]" in text
    assert "q1w2e3r4" not in text and "correct horse" not in text
    assert "b7f3c9d2e8a14f06" not in text, "a generated-looking value of any key"
    assert "localhost:8000" in text, "PORT and HOST are not secrets"
    assert "changeme-placeholder" in text, "example files hold no real secrets"
    names = [p.name for p in env_files(tmp_path)]
    assert names == [".env", ".env.local"]
    assert ("NPM_TOKEN", "from-a-dependency") not in env_secrets(tmp_path)


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("API_KEY", "abcd", True),
        ("GITHUB_TOKEN", "ghx", False),
        ("PORT", "8000", False),
        ("DEBUG", "true", False),
        ("DATABASE_URL", "postgres://localhost/app", False),
        ("STATIC_DIR", "/var/www/static2024", False),
        ("BUILD_ID", "a1b2c3d4e5f6g7", True),
        ("APP_NAME", "my-wonderful-app", False),
    ],
)
def test_which_env_values_count_as_secrets(name: str, value: str, secret: bool) -> None:
    assert worth_redacting(name, value) is secret


tokens = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=8, max_size=24)
filler = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)


@given(before=filler, after=filler, secret=tokens)
def test_an_env_secret_is_gone_whatever_surrounds_it(before: str, after: str, secret: str) -> None:
    redactor = Redactor.with_values([("SECRET", secret)])
    assert secret not in redactor(f"{before}{secret}{after}")


@given(text=st.text(max_size=200), secret=tokens)
def test_redacting_twice_changes_nothing_more(text: str, secret: str) -> None:
    redactor = Redactor.with_values([("SECRET", secret)])
    once = redactor(f"{text} password={secret} Authorization: Bearer {secret} {text}")
    assert redactor(once) == once
    assert secret not in once


def test_agent_output_keeps_its_json_structure() -> None:
    import json

    redact = Redactor.with_values([("STRIPE", "sk_live_abcdef0123456789")])
    raw = json.dumps({
        "result": "used sk_live_abcdef0123456789 with password=hunter2",
        "usage": {"input_tokens": 12, "cache_read_input_tokens": 3},
        "session_id": "c0ffee", "api_key": "zzz", "num_turns": 3,
    })  # fmt: skip
    out = json.loads(redact.output(raw + "\n"))
    assert out["result"] == "used [REDACTED:STRIPE] with password=[REDACTED]"
    assert out["usage"] == {"input_tokens": 12, "cache_read_input_tokens": 3}
    assert (out["session_id"], out["api_key"], out["num_turns"]) == ("c0ffee", "[REDACTED]", 3)


def test_agent_json_lines_stay_json_lines_and_text_stays_text() -> None:
    import json

    redact = Redactor.with_values([])
    token = "ghp_" + "a" * 36
    lines = redact.output(f'{{"type": "msg", "text": "{token}"}}\n\n{{"type": "end"}}\n')
    assert [json.loads(x) for x in lines.splitlines() if x] == [
        {"type": "msg", "text": "[REDACTED]"}, {"type": "end"},
    ]  # fmt: skip
    assert redact.output(f"not json {token}\n") == "not json [REDACTED]\n"


def test_environment_secrets_are_judged_by_whole_words_of_their_names() -> None:
    environ = {
        "API_TOKEN": "tok-9f8e7d6c5b4a",
        "DB_PASS": "hunter22",
        "STRIPE_SECRET_KEY": "sk-abcdef",
        "SHORT_TOKEN": "abc",
        "PWD": "/home/me/project",
        "OLDPWD": "/home/me",
        "TOKENIZERS_PARALLELISM": "false-ish",
        "SSH_AUTH_SOCK": "/tmp/ssh-agent.sock",
        "NPM_TOKEN_PATH": "/home/me/.npm-token",
        "ACMETOKEN": "zzcustom-q8w7e6",
        "ACME_AUTH": "zzcustom-q8w7e6",
        "SERVICE_CREDS": "zzcustom-q8w7e6",
        "DB_PW": "zzcustom-q8w7e6",
    }
    assert sorted(name for name, _ in environ_secrets(environ)) == [
        "ACMETOKEN",
        "ACME_AUTH",
        "API_TOKEN",
        "DB_PASS",
        "DB_PW",
        "SERVICE_CREDS",
        "STRIPE_SECRET_KEY",
    ]


def test_evidence_redaction_knows_the_secret_environment_variables(tmp_path: Path) -> None:
    # Test output (evidence, events, the plan's FIX tasks) is redacted by this redactor.
    redact = Redactor.for_repo(tmp_path, {"ACME_API_TOKEN": "zzcustom-q8w7e6r5t4y3"})
    line = "401 for token zzcustom-q8w7e6r5t4y3 at /login"
    assert redact(line) == "401 for token [REDACTED:ACME_API_TOKEN] at /login"
