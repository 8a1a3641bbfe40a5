"""The notifier's errors. HTTP turns them into RFC 9457 problems (``status``, ``title``).

    NotifierError                     400  base; never raised itself
    ├── NotFound                      404  no such subscription/delivery *for this caller*
    ├── Forbidden                     403  e.g. a token without an organisation creating one
    ├── InvalidSubscription           422  the request cannot become a subscription
    │   ├── UnsafeWebhookTarget       422  the URL's host resolves to a refused address (SSRF)
    │   └── UnknownOrganisation       422  no registration of the body among the events read
    ├── Conflict                      409  the state does not allow it (e.g. rotate an e-mail)
    └── NotCaughtUp                   503  ``min_position`` not ingested in time (Retry-After)

Delivery failures are not exceptions: senders return an :class:`~.adapters.senders.Outcome`.
"""

from __future__ import annotations

from services.common.errors import ProblemError


class NotifierError(ProblemError, title="Request refused", status=400): ...


class NotFound(NotifierError, title="Not found", status=404): ...


class Forbidden(NotifierError, title="Forbidden", status=403): ...


class InvalidSubscription(NotifierError, title="Invalid subscription", status=422): ...


class UnsafeWebhookTarget(InvalidSubscription, title="Webhook target refused"): ...


class UnknownOrganisation(InvalidSubscription, title="Unknown organisation"): ...


class Conflict(NotifierError, title="Conflict", status=409): ...


class NotCaughtUp(NotifierError, title="Notifier not caught up", status=503):
    """The notifier had not ingested ``min_position`` when the wait ended."""

    retry_after_s = 1

    def __init__(self, detail: str, position: int) -> None:
        super().__init__(detail)
        self.position = position
        self.headers = {"Retry-After": str(self.retry_after_s), "Remit-Position": str(position)}
        self.extra = {"position": position}
