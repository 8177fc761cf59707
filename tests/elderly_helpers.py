"""The elderly mode's end-to-end tests and the board's voices: the kiosk's device token, a
ticket taken through the kiosk's API, the screenshots, and a speech engine that speaks nothing
but keeps what it was asked, with three voices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import device_secret

OUTLET = "BJ-HD-ZGC"


def shot(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"elderly-{name}.png"), full_page=True)


@pytest.fixture(scope="module", name="kiosk_token")
def kiosk_token_fixture(e2e_database_url: str) -> str:
    """A kiosk of the outlet (issuing it also seeds the form catalogue the pre-fill needs)."""
    return device_secret(e2e_database_url, OUTLET, "kiosk", "e2e elderly kiosk")


def take_ticket(base_url: str, kiosk_token: str, service: str = "A") -> dict[str, Any]:
    with httpx.Client(base_url=base_url) as http:
        answer = http.post(
            "/device/api/v1/lobby/tickets",
            json={"service": service},
            headers={"Authorization": f"Bearer {kiosk_token}"},
        )
        assert answer.is_success, answer.text
        ticket: dict[str, Any] = answer.json()
        return ticket


# A speech engine that speaks nothing but keeps what it was asked, with three voices.
FAKE_SPEECH = """
(() => {
  const log = [];
  const voices = [
    {name: 'Mandarin', lang: 'zh-CN'}, {name: 'English', lang: 'en-US'},
    {name: 'Cantonese', lang: 'zh-HK'},
  ];
  const fake = {
    speaking: false,
    pending: false,
    getVoices: () => voices,
    cancel: () => {},
    speak(u) {
      const entry = {text: u.text, lang: u.lang, rate: u.rate,
                     voice: u.voice ? u.voice.lang : null, end: null};
      log.push(entry);
      fake.speaking = true;
      setTimeout(() => {
        entry.end = Date.now();
        fake.speaking = false;
        u.onend && u.onend();
      }, 300);
    },
  };
  Object.defineProperty(window, 'speechSynthesis', {value: fake});
  // A real utterance takes only the browser's own voice objects.
  window.SpeechSynthesisUtterance = class {
    constructor(text) { this.text = text; this.lang = ''; this.rate = 1; this.voice = null; }
  };
  window.fakeSpeech = {log};
})();
"""
