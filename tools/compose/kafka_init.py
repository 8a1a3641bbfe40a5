"""The principals and ACLs of the compose ``kafka-init`` job, copied from the native stack's.

    python -m tools.compose.kafka_init           # rewrite the list in tools/compose/kafka-init.sh
    python -m tools.compose.kafka_init --check   # exit 1 if that list is stale

Who may do what on the bus is written once, in ``infra/kafka/principals.py``: the native stack
applies it with Kafka's Admin API (``Principals.java``). The compose job runs in the Kafka
image, which has a JRE and the Kafka CLI but neither Python nor a Java compiler, so it cannot
run either program; it gets the same list as bash arrays between two marker lines of
``kafka-init.sh``, and ``tests/unit/deploy`` fails when the two differ.
"""

from __future__ import annotations

import sys
from pathlib import Path

from infra.kafka.principals import ADMIN, acl_bindings, standard

SCRIPT = Path(__file__).resolve().parent / "kafka-init.sh"
BEGIN = "# >>> generated from infra/kafka/principals.py by `python -m tools.compose.kafka_init`"
END = "# <<< generated"


def block() -> str:
    """The generated lines, markers included."""
    principals = standard()
    users = " ".join([ADMIN, *(p.name for p in principals)])
    fields = ("principal", "resource_type", "pattern_type", "name", "operation")
    acls = [f"  '{' '.join(b[f] for f in fields)}'" for b in acl_bindings(principals)]
    return "\n".join([BEGIN, f"ADMIN={ADMIN}", f"USERS=({users})", "ACLS=(", *acls, ")", END])


def render(text: str) -> str:
    """``text`` (the script) with its generated lines replaced by :func:`block`."""
    head, found, rest = text.partition(BEGIN)
    _, ended, tail = rest.partition(END)
    if not (found and ended):
        raise ValueError(f"{SCRIPT.name}: the marker lines are missing")
    return head + block() + tail


def main(argv: list[str]) -> int:
    current = SCRIPT.read_text(encoding="utf-8")
    wanted = render(current)
    if "--check" in argv:
        if current != wanted:
            print(f"{SCRIPT} is stale: run python -m tools.compose.kafka_init", file=sys.stderr)
            return 1
        return 0
    SCRIPT.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
