// The pre-fill on the lobby kiosk: back to the kiosk's start after a minute without a
// touch, so the next customer never finds the last one's form or code. The last seconds
// are counted down on screen; on the code's page the count shows all the time. The
// elderly mode is turned off too: the next customer chooses it again (see kiosk.js).
import { setMode } from "../elderly.js";

const root = document.querySelector("[data-kiosk-prefill]");
const IDLE_S = 60;
const WARN_S = 15;

if (root) {
  const note = root.querySelector("[data-idle]");
  const always = Boolean(document.querySelector("[data-code]"));
  let last = Date.now();

  const touched = () => {
    last = Date.now();
    if (!always) note.hidden = true;
  };
  for (const type of ["pointerdown", "keydown", "input", "wheel"]) {
    document.addEventListener(type, touched, { capture: true, passive: true });
  }

  const tick = () => {
    const left = IDLE_S - Math.floor((Date.now() - last) / 1000);
    if (left <= 0) {
      setMode(false);
      location.href = root.dataset.exit;
      return;
    }
    if (always || left <= WARN_S) {
      note.textContent = root.dataset.idleText.replace("{n}", String(left));
      note.hidden = false;
    }
  };
  tick();
  window.setInterval(tick, 1000);
}
