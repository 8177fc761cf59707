// The elderly-friendly mode (长辈模式): larger type, high contrast, bigger touch targets and
// plain words, switched by one button and remembered on the device.
//
// The mode is the class "elderly" on <html>. The server renders it from the cookie
// `manyi_elderly=on` (so the first paint is already right, and the plain words are chosen
// on the server); this module switches it in place without a reload (a half-filled form
// keeps what was typed) and writes the cookie. A cookie, not localStorage: the server must
// see it before the page is drawn, and one copy cannot disagree with another.
// docs/elderly-mode.md says how a page adopts it.

const COOKIE = "manyi_elderly";
const YEAR_S = 365 * 24 * 3600;
const root = document.documentElement;

export function isOn() {
  return root.classList.contains("elderly");
}

export function setMode(on) {
  root.classList.toggle("elderly", on);
  document.cookie = on
    ? `${COOKIE}=on; path=/; max-age=${YEAR_S}; samesite=lax`
    : `${COOKIE}=; path=/; max-age=0; samesite=lax`;
  for (const node of document.querySelectorAll("[data-simple]")) {
    node.textContent = on ? node.dataset.simple : node.dataset.full;
  }
  for (const button of document.querySelectorAll("[data-elderly-switch]")) {
    button.setAttribute("aria-pressed", String(on));
    const state = button.querySelector(".state");
    if (state) state.textContent = on ? state.dataset.on : state.dataset.off;
  }
  document.dispatchEvent(new CustomEvent("manyi:elderly", { detail: { on } }));
}

for (const button of document.querySelectorAll("[data-elderly-switch]")) {
  button.addEventListener("click", () => setMode(!isOn()));
}
window.manyiElderly = { isOn, setMode };
