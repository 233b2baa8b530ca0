"""The per-request context: long-lived collaborators plus the lazily verified principal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from strawberry.dataloader import DataLoader

from rules import Engine
from schema.core.errors import ForbiddenError, UnauthenticatedError
from schema.core.events import Broker
from services.abuse import Counters
from services.cases import CaseView, Named, find_case
from services.identity import Principal, Role
from services.pads import PadBinding, pad_binding
from services.ratings import RatingView, ratings_of
from services.reference import Relation, Tally, related, tally
from services.vault import Vault

_UNSET: Any = object()


@dataclass(frozen=True)
class Collaborators:
    """Built once in the app's lifespan and shared by every request."""

    vault: Vault
    authenticate: Callable[[str], Principal | None]
    clock: Callable[[], datetime]
    engine: Engine
    rules_path: Path
    broker: Broker
    pad_lifetime: timedelta
    pad_rating_window: timedelta
    counters: Counters
    announce_rules: Callable[[str], Awaitable[object]] | None = None
    lang: str = "zh"  # of messages for policy staff (HCP_LANG)
    # Where people reach the service (links in QR codes shown on the console).
    public_base_url: str = "http://127.0.0.1:8000"


class Context:
    def __init__(
        self,
        collaborators: Collaborators,
        authorization: str | None,
        device: str | None = None,
    ) -> None:
        self.collaborators = collaborators
        self._authorization = authorization
        # What the anti-abuse limits count as one device: a device id the server issued and
        # signed (`X-HCP-Device`, see server.devices), else None; never the client's
        # address (a NAT is many people) nor an id the client made up. A pad is its pairing.
        self.device = device
        self._principal: Principal | None = _UNSET
        # Set by Strawberry from graphql-transport-ws `connection_init` payloads.
        self.connection_params: dict[str, Any] | None = None

    @cached_property
    def ratings(self) -> DataLoader[int, list[RatingView]]:
        """Ratings per case id, batched across the cases of one response."""
        return DataLoader(load_fn=_load_ratings)

    @cached_property
    def reference(self) -> ReferenceLoaders:
        """What reference rows lead to (a window's hall, a region's parent …), batched."""
        return ReferenceLoaders()

    @property
    def vault(self) -> Vault:
        return self.collaborators.vault

    def now(self) -> datetime:
        return self.collaborators.clock()

    async def visible_case(self, case_no: str, viewer: Principal) -> CaseView | None:
        """The case if this viewer may see it (personal data masked for their role)."""
        return await find_case(
            case_no=case_no, viewer=viewer, vault=self.vault, engine=self.collaborators.engine
        )

    async def pad(self) -> PadBinding | None:
        """The pad making this request (`Authorization: Pad <token>`), None otherwise; an
        unknown or expired pad token is an error, never silently anonymous."""
        scheme, _, token = (self._authorization or self._ws_authorization() or "").partition(" ")
        if scheme.lower() != "pad":
            return None
        binding = await pad_binding(token.strip(), self.now())
        if binding is None:
            raise UnauthenticatedError("this pad is not paired or its pairing has expired")
        return binding

    def principal(self) -> Principal | None:
        """The caller, None when anonymous; a token that fails verification is an error,
        never silently anonymous."""
        if self._principal is _UNSET:
            token = _bearer(self._authorization or self._ws_authorization())
            self._principal = None
            if token is not None:
                principal = self.collaborators.authenticate(token)
                if principal is None:
                    raise UnauthenticatedError("the bearer token is invalid or expired")
                self._principal = principal
        return self._principal

    def require(self, *roles: Role) -> Principal:
        principal = self.principal()
        if principal is None:
            raise UnauthenticatedError("sign in first: send Authorization: Bearer <token>")
        if principal.role not in roles:
            raise ForbiddenError(f"the {principal.role.value} role may not do this")
        return principal

    def _ws_authorization(self) -> str | None:
        params = self.connection_params or {}
        value = params.get("Authorization") or params.get("authorization")
        return value if isinstance(value, str) else None


class ReferenceLoaders:
    """One DataLoader per relation, keyed by the code of the row asked about."""

    def __init__(self) -> None:
        self._related: dict[Relation, DataLoader[str, list[Named]]] = {}
        self._tallies: dict[Tally, DataLoader[str, int]] = {}

    async def related(self, relation: Relation, code: str) -> list[Named]:
        loader = self._related.get(relation)
        if loader is None:
            loader = self._related[relation] = DataLoader(load_fn=_loading(relation))
        return await loader.load(code)

    async def tally(self, what: Tally, code: str) -> int:
        loader = self._tallies.get(what)
        if loader is None:
            loader = self._tallies[what] = DataLoader(load_fn=_tallying(what))
        return await loader.load(code)


def _loading(relation: Relation) -> Callable[[list[str]], Awaitable[list[list[Named]]]]:
    async def load(codes: list[str]) -> list[list[Named]]:
        found = await related(relation, codes)
        return [found[code] for code in codes]

    return load


def _tallying(what: Tally) -> Callable[[list[str]], Awaitable[list[int]]]:
    async def load(codes: list[str]) -> list[int]:
        found = await tally(what, codes)
        return [found[code] for code in codes]

    return load


async def _load_ratings(case_ids: list[int]) -> list[list[RatingView]]:
    found = await ratings_of(case_ids)
    return [found[case_id] for case_id in case_ids]


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "pad":
        return None
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthenticatedError("use Authorization: Bearer <token>")
    return token.strip()
