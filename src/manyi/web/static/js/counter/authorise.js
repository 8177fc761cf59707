// The supervisors' authorisation screen reloads itself every 10 seconds so new requests
// appear, but never while a supervisor is typing a note or has one half-written.
const PERIOD_MS = 10_000;

const root = document.querySelector("[data-refresh]");

function busy() {
  const active = document.activeElement;
  if (active && active.matches("input, textarea, select")) return true;
  return [...document.querySelectorAll("input[name=note], textarea")].some(
    (field) => field.value.trim() !== "",
  );
}

if (root) {
  setInterval(() => {
    if (document.hidden || busy()) return;
    // The screen's own address: after a refused decision the page's URL is the POST's.
    window.location.replace(root.dataset.refresh);
  }, PERIOD_MS);
}
