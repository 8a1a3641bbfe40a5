"""Dataset files: an ordered list of registry commands, each with a stable key.

A dataset file (YAML) looks like::

    dataset: smith-review
    document: {title: ..., file: data/smith-review-response.txt}
    commands:
      - key: org/nhs-improvement          # Idempotency-Key suffix; never changes once published
        command: RegisterOrganisation     # picks the command model
        organisation_id: nhs-improvement  # ... the other fields of that model
        ...

The importer posts the commands in file order. Loading only parses and validates; it does not
check the commands against the registry's state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, StringConstraints, TypeAdapter, ValidationError

from schemas.envelope import Contract, Identifier, ShortText
from services.registry.domain.commands import AnyCommand

DatasetKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9._:/-]*$"),
]
"""A stable key such as ``org/nhs-improvement`` or ``rec/11a``."""

CommandField = Annotated[AnyCommand, Field(discriminator="command")]
"""Any registry command, told apart by its ``command`` field."""

_COMMAND: TypeAdapter[AnyCommand] = TypeAdapter(CommandField)
_KEY: TypeAdapter[str] = TypeAdapter(DatasetKey)


class DatasetError(ValueError):
    """The dataset file is not valid; the message names the file and, if any, the item."""


class DocumentRef(Contract):
    """The source document the dataset transcribes."""

    title: ShortText
    file: ShortText


class Dataset(Contract):
    """``commands`` is the ordered list of ``(key, command)`` pairs."""

    dataset: Identifier
    document: DocumentRef
    commands: tuple[tuple[DatasetKey, CommandField], ...]


class _Header(Contract):
    dataset: Identifier
    document: DocumentRef
    commands: list[dict[str, Any]]


def load_dataset(path: str | Path) -> Dataset:
    """Read and validate a dataset file.

    Raises :class:`DatasetError` naming the item (index and key) that does not validate, or a
    key used twice.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DatasetError(f"{path}: not valid YAML: {exc}") from exc
    try:
        header = _Header.model_validate(raw)
    except ValidationError as exc:
        raise DatasetError(f"{path}: {_describe(exc)}") from exc

    items: list[tuple[str, AnyCommand]] = []
    seen: set[str] = set()
    for index, entry in enumerate(header.commands):
        fields = dict(entry)
        key = fields.pop("key", None)
        where = f"{path}: commands[{index}] (key {key!r})"
        try:
            items.append((_KEY.validate_python(key), _COMMAND.validate_python(fields)))
        except ValidationError as exc:
            raise DatasetError(f"{where}: {_describe(exc)}") from exc
        if key in seen:
            raise DatasetError(f"{where}: key used twice")
        seen.add(key)
    return Dataset(dataset=header.dataset, document=header.document, commands=tuple(items))


def _describe(exc: ValidationError) -> str:
    """One line per error: ``field.path: message``."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or '(item)'}: {error['msg']}"
        for error in exc.errors()
    )
