"""Where the windows' QR codes point: the address actually served (its port) when
HCP_PUBLIC_URL is unset, HCP_PUBLIC_URL when it is set."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.conftest import Served, serve
from tests.e2e.test_scan import decode


def test_qr_codes_follow_the_port_served_when_no_public_url_is_set(served: Served) -> None:
    assert not served.base.endswith(":8000")
    png = httpx.get(f"{served.base}/qr/W-01.png", timeout=10)
    assert decode(png.content) == [f"{served.base}/w/W-01"]
    log = served.log.read_text(errors="replace")
    assert f"hcp serving on {served.base}\n" in log
    assert f"window QR poster:   {served.base}/qr/W-01/poster" in log


def test_qr_codes_point_at_hcp_public_url_when_set(tmp_path: Path) -> None:
    public = "https://pj.example.gov.cn/hcp"
    with serve(tmp_path, "--demo", HCP_PUBLIC_URL=public) as app:
        png = httpx.get(f"{app.base}/qr/W-02.png", timeout=10)
        svg = httpx.get(f"{app.base}/qr/W-02.svg", timeout=10)
    assert decode(png.content) == [f"{public}/w/W-02"]
    assert svg.status_code == 200
    assert f"QR codes and SMS links point at HCP_PUBLIC_URL {public}" in app.log.read_text()
