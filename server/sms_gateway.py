"""SMS gateways. Production: an HTTP gateway (`HCP_SMS_GATEWAY_URL`) that takes
{messageId, to, text}; dev: a file under var/ with the number masked."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from services.sms import SmsSendError


class HttpGatewaySender:
    def __init__(self, client: httpx.AsyncClient, url: str, token: str | None) -> None:
        self.client = client
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def send(self, message_id: str, phone: str, text: str) -> None:
        try:
            response = await self.client.post(
                self.url,
                json={"messageId": message_id, "to": phone, "text": text},
                headers=self.headers,
                timeout=10,
            )
        except httpx.HTTPError as exc:
            raise SmsSendError(type(exc).__name__) from None
        if response.status_code >= 300:
            raise SmsSendError(f"gateway answered {response.status_code}")


class DevFileSender:
    """Stands in for the gateway in dev: one JSON line per message, number masked."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(self, message_id: str, phone: str, text: str) -> None:
        masked = phone[:3] + "*" * max(0, len(phone) - 7) + phone[-4:]
        line = json.dumps({"messageId": message_id, "to": masked, "text": text}, ensure_ascii=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as sink:
            sink.write(line + "\n")
