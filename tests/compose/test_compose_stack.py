"""docker-compose.yml really started: health, one-shot jobs, the smoke, a restart, in order.

The stack runs as an operator's would: production mode (tokens only from the keys job's key,
HTTPS webhooks), Kafka with SASL/SCRAM and ACLs. Everything talks to it over HTTP only (the
registry, projections and notifier APIs, Mailpit's API, the webhook receiver's list), so it
keeps working as the services change; tokens are minted by the tools image's ``remit token``,
as docs/compose.md tells operators; the bus is tried from a container, as an integrator.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from typing import Any

import httpx
import jwt
from standardwebhooks import Webhook

from infra.settings import REPO_ROOT
from services.common import devkeys
from services.common.auth import DEFAULT_DEV_SECRET
from services.common.tokens import claims_for
from tests.compose.stack import JOBS, ComposeStack, wait_for

SOURCE = {"document": "Compose smoke", "passage": "Recorded by tests/compose."}


def token(stack: ComposeStack, *scopes: str, org: str | None = None) -> str:
    args = [arg for scope in scopes for arg in ("--scope", scope)]
    args += ["--org", org] if org else []
    out = stack.compose(
        "run", "--rm", "--no-deps", "import-smith", "remit", "token", *args, capture=True
    )
    return out.strip().splitlines()[-1]


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def head(stack: ComposeStack) -> int:
    page = httpx.get(f"{stack.url('REMIT_REGISTRY_HOST_PORT')}/v1/events", params={"limit": 1})
    page.raise_for_status()
    return int(page.json()["head"])


def command(stack: ComposeStack, path: str, body: dict[str, Any], writer: str) -> int:
    """POST a command to the registry; the position of its last event."""
    answer = httpx.post(
        f"{stack.url('REMIT_REGISTRY_HOST_PORT')}{path}",
        json={**body, "source": SOURCE},
        headers={**bearer(writer), "Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    )
    assert answer.status_code in (200, 201), answer.text
    return int(answer.json()["events"][-1]["position"])


def register(stack: ComposeStack, org: str, name: str, writer: str) -> int:
    """Register body ``org`` named ``name``; the position of its event."""
    body = {"organisation_id": org, "name": name, "kind": "other"}
    return command(stack, "/v1/organisations", body, writer)


def organisation(stack: ComposeStack, org: str, min_position: int) -> dict[str, Any]:
    answer = httpx.get(
        f"{stack.url('REMIT_PROJECTIONS_HOST_PORT')}/v1/organisations/{org}",
        params={"min_position": min_position},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    view: dict[str, Any] = answer.json()
    return view


def test_every_service_is_healthy_and_both_jobs_succeeded(stack: ComposeStack) -> None:
    containers = stack.wait_settled()
    assert {name: c.exit_code for name, c in containers.items() if name in JOBS} == {
        "kafka-init": 0,
        "keys": 0,
        "init": 0,
        "import-smith": 0,
    }
    assert head(stack) > 0, "the Smith import appended nothing"
    summary = httpx.get(
        f"{stack.url('REMIT_PROJECTIONS_HOST_PORT')}/v1/reviews/smith-review/summary",
        params={"min_position": head(stack)},
        timeout=60,
    )
    assert summary.status_code == 200, summary.text


def test_a_second_up_reruns_the_jobs_and_appends_nothing(stack: ComposeStack) -> None:
    before, started = head(stack), {n: stack.containers()[n].started_at for n in JOBS}
    start = time.monotonic()
    stack.up()
    after = stack.wait_settled()
    stack.timings["second up, settled"] = time.monotonic() - start
    for job in JOBS:
        assert after[job].started_at != started[job], f"{job} did not run again"
        assert after[job].exit_code == 0, stack.logs(job)
    assert head(stack) == before


def test_a_command_reaches_the_read_model_a_signed_webhook_and_an_email(
    stack: ComposeStack,
) -> None:
    org = f"compose-{uuid.uuid4().hex[:8]}"
    writer = token(stack, "registry:write")
    subscriber = token(stack, "subscriptions:write", org=org)
    position = register(stack, org, "Compose Body", writer)
    assert organisation(stack, org, position)["name"] == "Compose Body"

    notifier = stack.url("REMIT_NOTIFIER_HOST_PORT")
    hook = httpx.post(
        f"{notifier}/v1/subscriptions",
        params={"min_position": position},  # once the notifier has read the registration
        json={"channel": "webhook", "url": "https://webhook-receiver:8443/remit"},
        headers=bearer(subscriber),
    )
    assert hook.status_code == 201, hook.text
    mailbox = f"alerts@{org}.example.org"
    mail = httpx.post(
        f"{notifier}/v1/subscriptions",
        params={"min_position": position},
        json={"channel": "email", "email": mailbox},
        headers=bearer(subscriber),
    )
    assert mail.status_code == 201, mail.text

    renamed = command(
        stack, f"/v1/organisations/{org}/rename", {"new_name": "Compose Body Renamed"}, writer
    )
    assert organisation(stack, org, renamed)["name"] == "Compose Body Renamed"

    headers, body = wait_for(lambda: webhook_for(stack, org), 60, "no webhook for the rename")
    Webhook(hook.json()["secret"]).verify(body, headers)
    assert headers.get("remit-payload-version") == "2"
    links = json.loads(body)["data"]["links"]
    pages = stack.url("REMIT_PAGES_HOST_PORT")
    assert links["page"] == f"{pages}/organisations/{org}"
    [sent] = wait_for(lambda: email_to(stack, mailbox), 60, f"no email to {mailbox} in Mailpit")
    text = httpx.get(f"{stack.url('REMIT_MAILPIT_HOST_PORT')}/api/v1/message/{sent['ID']}")
    assert f"See it on Remit: {links['page']}" in text.json()["Text"]
    page = httpx.get(links["page"], timeout=30)
    assert page.status_code == 200 and "Compose Body Renamed</h1>" in page.text


def test_the_pages_are_published_with_their_assets_and_policy(stack: ComposeStack) -> None:
    """The pages (served by the projections container on its second port) show the Smith
    review, with the GOV.UK Frontend assets built into the image and a strict CSP."""
    pages = stack.url("REMIT_PAGES_HOST_PORT")
    home = httpx.get(f"{pages}/", timeout=30)
    assert home.status_code == 200
    assert "Review of the centrally funded leadership" in home.text
    assert "script-src 'self' 'sha256-" in home.headers["content-security-policy"]
    css = httpx.get(f"{pages}/assets/remit.css", timeout=30)
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert len(css.content) > 50_000  # GOV.UK Frontend compiled in, not an empty stand-in


def test_webhook_secrets_are_in_no_dump_and_their_key_rotates(stack: ComposeStack) -> None:
    """A pg_dump holds no webhook secret; ``reencrypt-secrets``, run from the notifier's image
    as .env.example says, moves every secret to a new key (and back: the running notifier has
    only the first key); deliveries stay signed with the subscription's secret."""
    org = f"compose-{uuid.uuid4().hex[:8]}"
    writer = token(stack, "registry:write")
    body = {"organisation_id": org, "name": "Sealed", "kind": "other"}
    command(stack, "/v1/organisations", body, writer)
    hook = httpx.post(
        f"{stack.url('REMIT_NOTIFIER_HOST_PORT')}/v1/subscriptions",
        json={"channel": "webhook", "url": "https://webhook-receiver:8443/remit"},
        headers=bearer(token(stack, "subscriptions:write", org=org)),
    )
    assert hook.status_code == 201, hook.text
    secret = hook.json()["secret"]
    dump = ["exec", "-T", "postgres", "pg_dump", "--username", "remit", "--dbname", "remit"]
    backup = stack.compose(*dump, capture=True)
    assert "notifier.subscriptions" in backup
    assert secret not in backup and secret.removeprefix("whsec_") not in backup

    def reencrypt(keys: str) -> int:
        out = stack.compose(
            *("run", "--rm", "--no-deps", "-e", f"REMIT_WEBHOOK_ENCRYPTION_KEYS={keys}"),
            *("notifier", "python", "-m", "services.notifier", "reencrypt-secrets"),
            capture=True,
        )
        done = re.search(r"(\d+) secrets re-encrypted under the newest key, 0 already were", out)
        assert done, out
        return int(done[1])

    current, new = stack.env["NOTIFIER_ENCRYPTION_KEYS"], secrets.token_urlsafe(32)
    moved = reencrypt(f"{new},{current}")
    assert moved >= 1 and reencrypt(f"{current},{new}") == moved
    command(stack, f"/v1/organisations/{org}/rename", {"new_name": "Sealed Renamed"}, writer)
    headers, body_text = wait_for(lambda: webhook_for(stack, org), 60, "no webhook for it")
    Webhook(secret).verify(body_text, headers)


def webhook_for(stack: ComposeStack, org: str) -> tuple[dict[str, str], str] | None:
    with stack.receiver() as receiver:
        received = receiver.get("/received").json()
    for item in received:
        if org in item["body"] and "Renamed" in json.loads(item["body"])["type"]:
            return item["headers"], item["body"]
    return None


def email_to(stack: ComposeStack, address: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{stack.url('REMIT_MAILPIT_HOST_PORT')}/api/v1/messages")
    answer.raise_for_status()
    messages: list[dict[str, Any]] = answer.json()["messages"]
    return [m for m in messages if address in {to["Address"] for to in m["To"]}]


def test_tokens_the_keys_job_did_not_sign_are_refused(stack: ComposeStack) -> None:
    """Production mode: HS256 (even with the development default secret) and keys that the
    published JWKS does not hold get 401; the keys job's key gets in."""
    org = f"compose-{uuid.uuid4().hex[:8]}"
    claims = claims_for("intruder", ["registry:write"], "remit-compose", "remit")
    refused = {
        "HS256": jwt.encode(claims, DEFAULT_DEV_SECRET, algorithm="HS256"),
        "unpublished key": devkeys.sign(devkeys.generate_key("ES256"), claims),
    }
    body = {"organisation_id": org, "name": "Intruder", "kind": "other", "source": SOURCE}
    url = f"{stack.url('REMIT_REGISTRY_HOST_PORT')}/v1/organisations"
    for kind, value in refused.items():
        answer = httpx.post(url, json=body, headers={**bearer(value), "Idempotency-Key": org})
        assert answer.status_code == 401, (kind, answer.text)
    assert command(stack, "/v1/organisations", body, token(stack, "registry:write")) > 0


PROBE = REPO_ROOT / "tests" / "compose" / "kafka_probe.py"


def as_integrator(stack: ComposeStack, *argv: str, probe: bool = False) -> str:
    """``docker compose run`` in the integrator-example service (its own Kafka principal)."""
    mount = ["--volume", f"{PROBE}:/probe/kafka_probe.py:ro"] if probe else []
    return stack.compose(
        "run", "--rm", "--no-deps", *mount, "integrator-example", *argv, capture=True
    )


def test_an_integrator_reads_the_events_from_a_container_and_writes_nothing(
    stack: ComposeStack,
) -> None:
    """As docs/compose.md shows it, then what else the principal may (not) do."""
    tail = as_integrator(stack, "remit", "events", "tail", "--from-beginning", "--limit", "3")
    assert [line.split()[0] for line in tail.strip().splitlines()[-3:]] == ["1", "2", "3"]
    seen = json.loads(
        as_integrator(stack, "python", "/probe/kafka_probe.py", probe=True).splitlines()[-1]
    )
    assert seen == {
        "consumed": 3,
        "topics": ["remit.events"],
        "produce_events": "TopicAuthorizationFailedError",
        "produce_dlq": "TopicAuthorizationFailedError",
        "join_notifier_group": "GroupAuthorizationFailedError",
    }


def test_a_stopped_service_catches_up_on_what_it_missed(stack: ComposeStack) -> None:
    org = f"compose-{uuid.uuid4().hex[:8]}"
    writer = token(stack, "registry:write")
    registered = register(stack, org, "Before the restart", writer)
    assert organisation(stack, org, registered)["name"] == "Before the restart"

    stack.compose("stop", "projections")
    renamed = command(
        stack, f"/v1/organisations/{org}/rename", {"new_name": "While it was down"}, writer
    )
    stack.compose("start", "projections")
    stack.wait_settled()
    assert organisation(stack, org, renamed)["name"] == "While it was down"
    assert organisation(stack, org, 0)["name"] == "While it was down"


def test_a_pg_dump_backup_restores_into_an_identical_database(stack: ComposeStack) -> None:
    """The backup of docs/compose.md: a plain pg_dump, restored with psql."""
    dump = ["exec", "-T", "postgres", "pg_dump", "--username", "remit", "--dbname"]
    backup = stack.compose(*dump, "remit", capture=True)
    assert "CREATE TABLE" in backup
    stack.compose("exec", "-T", "postgres", "createdb", "--username", "remit", "restored")
    psql = ["exec", "-T", "postgres", "psql", "--username", "remit", "-v", "ON_ERROR_STOP=1"]
    stack.compose(*psql, "--quiet", "--dbname", "restored", stdin=backup, capture=True)
    restored = stack.compose(*dump, "restored", capture=True)
    assert comparable(restored) == comparable(backup)


def comparable(dump: str) -> list[str]:
    """A dump's lines in sorted order (COPY writes rows in their physical order, which a
    restore changes), without the random key of psql's \\restrict guard (pg_dump 18)."""
    guard = ("\\restrict", "\\unrestrict")
    return sorted(line for line in dump.splitlines() if not line.startswith(guard))


def test_the_read_model_rebuilds_from_the_tools_image(stack: ComposeStack) -> None:
    """The upgrade path of docs/compose.md for a new read-model shape."""
    position = head(stack)
    stack.compose(
        "run",
        "--rm",
        "--no-deps",
        "init",
        "python",
        "-m",
        "services.projections",
        "rebuild",
        capture=True,
    )
    summary = httpx.get(
        f"{stack.url('REMIT_PROJECTIONS_HOST_PORT')}/v1/reviews/smith-review/summary",
        params={"min_position": position},
        timeout=60,
    )
    assert summary.status_code == 200, summary.text
