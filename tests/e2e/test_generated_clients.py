"""The OpenAPI documents as a contract: a Python client is generated from each running service's
``/openapi.json`` with ``openapi-python-client`` (nothing generated is committed), and an
integrator's first scenario runs through the generated clients only: record, read with
``min_position``, subscribe, list the deliveries a command caused.

The generator runs with ``--fail-on-warning``: a construct it cannot turn into code fails this
test, and the spec is what gets fixed."""

from __future__ import annotations

import importlib
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from services.common.auth import AuthSettings, issue_token
from tests.e2e.conftest import Stack
from tests.integration.notifier.support import Receiver
from tests.support.eventually import eventually

pytestmark = pytest.mark.e2e
SERVICES = ("registry", "projections", "notifier")
CONFIG = "post_hooks: []\n"
"""No ruff pass over the generated code: the tests import it, nobody reads it."""


def _generate(service: str, url: str, into: Path) -> None:
    spec = into / f"{service}.json"
    spec.write_bytes(httpx.get(f"{url}/openapi.json", timeout=30).raise_for_status().content)
    config = into / "config.yaml"
    config.write_text(CONFIG)
    command = [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(spec)]
    command += ["--output-path", str(into / f"remit_{service}"), "--meta", "none"]
    command += ["--config", str(config), "--fail-on-warning"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, (
        f"{service}: the generator refused its OpenAPI\n{done.stdout}{done.stderr}"
    )


@pytest.fixture(scope="module")
def generated(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The three generated packages (``remit_registry``, ...), importable while the module runs."""
    into = tmp_path_factory.mktemp("clients")
    for service in SERVICES:
        _generate(service, getattr(stack, service), into)
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(into))
        yield into
        for name in [m for m in sys.modules if m.split(".")[0].startswith("remit_")]:
            del sys.modules[name]


def gen(service: str, module: str) -> ModuleType:
    """A module of the generated client for ``service``."""
    return importlib.import_module(f"remit_{service}.{module}")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = await Receiver().start()
    yield found
    await found.stop()


def _client(service: str, url: str, scopes: list[str], org: str | None = None) -> Any:
    token = issue_token(AuthSettings(), "generated-client", scopes, org)
    return gen(service, "client").AuthenticatedClient(base_url=url, token=token, timeout=30)


async def test_a_scenario_through_the_generated_clients_only(
    stack: Stack, generated: Path, receiver: Receiver
) -> None:
    org = f"gen-{uuid.uuid4().hex[:6]}"
    reg = gen("registry", "models")
    proj = gen("projections", "models")
    note = gen("notifier", "models")
    source = reg.Source(document="Generated client", passage="A scenario through the clients.")
    writer = _client("registry", stack.registry, ["registry:write"])
    reader = gen("projections", "client").Client(base_url=stack.projections, timeout=30)
    subscriber = _client("notifier", stack.notifier, ["subscriptions:write"], org)
    get_organisation = gen("projections", "api.organisations.get_organisation")

    async with writer as writer, reader as reader, subscriber as subscriber:
        registered = await gen("registry", "api.organisations.register_organisation").asyncio(
            client=writer,
            body=reg.RegisterOrganisationRequest(
                source=source,
                organisation_id=org,
                name="Generated Body",
                kind=reg.OrganisationKind.TEAM,
            ),
        )
        assert isinstance(registered, reg.CommandAccepted), registered
        assert registered.position is not None and not registered.replayed

        seen = await get_organisation.asyncio(org, client=reader, min_position=registered.position)
        assert isinstance(seen, proj.OrganisationAnswer), seen
        assert (seen.id, seen.name, seen.kind) == (org, "Generated Body", "team")
        assert seen.position >= registered.position

        created = await gen("notifier", "api.subscriptions.create_subscription").asyncio(
            client=subscriber,
            body=note.WebhookSubscriptionCreate(channel="webhook", url=receiver.url("/hook")),
            min_position=registered.position,
        )
        assert isinstance(created, note.SubscriptionCreated), created
        assert created.organisation_known and created.organisation_id == org
        assert created.status == note.SubscriptionCreatedStatus.ACTIVE
        assert isinstance(created.secret, str) and created.secret

        renamed = await gen("registry", "api.organisations.rename_organisation").asyncio(
            org,
            client=writer,
            body=reg.RenameOrganisationRequest(source=source, new_name="Generated Body Renamed"),
        )
        assert isinstance(renamed, reg.CommandAccepted), renamed
        [event] = renamed.events
        assert renamed.position is not None and event.position == renamed.position

        seen = await get_organisation.asyncio(org, client=reader, min_position=renamed.position)
        assert isinstance(seen, proj.OrganisationAnswer), seen
        assert seen.name == "Generated Body Renamed"

        list_deliveries = gen("notifier", "api.deliveries.list_deliveries")
        [delivery] = await list_deliveries.asyncio(
            client=subscriber, event_position=renamed.position, min_position=renamed.position
        )
        assert isinstance(delivery, note.DeliveryPublic), delivery
        assert (delivery.subscription_id, delivery.event_id) == (created.id, event.event_id)
        assert (delivery.event_type, delivery.position) == (event.event_type, renamed.position)

        async def delivered() -> Any:
            [again] = await list_deliveries.asyncio(client=subscriber, event_id=event.event_id)
            return again

        done = await eventually(
            delivered, lambda d: d.status == note.DeliveryPublicStatus.DELIVERED, within=30
        )
        assert [a.status_code for a in done.attempts] == [200]
    assert len(receiver.at("/hook")) == 1
