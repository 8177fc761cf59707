// Kiosk (取号机): choose a service, take a number, see it and get it printed.
import { api, ApiError, clock, el, name, readJson, retrying, t, unavailable, waitText, lang } from "./common.js";
import { setMode } from "../elderly.js";

const config = readJson("config");
const screens = Object.fromEntries(
  [...document.querySelectorAll("[data-screen]")].map((node) => [node.dataset.screen, node]),
);
const IDLE_MS = 30000;
const RESULT_MS = 20000;
let idleTimer = null;
let countdownTimer = null;
let pendingGreen = null;
let waiting = {};
let unserved = new Set(); // services no open counter serves now

function show(name) {
  for (const [key, node] of Object.entries(screens)) node.hidden = key !== name;
  clearTimeout(idleTimer);
  clearInterval(countdownTimer);
  if (name !== "home") idleTimer = setTimeout(nextCustomer, name === "result" ? RESULT_MS : IDLE_MS);
}

// The kiosk serves one customer after another: when a ticket has been taken ("Done", or the
// result screen's 20 s) or nobody touched it for 30 s, the next customer starts in Chinese
// and in the normal mode, offered again at the top of the start screen. "Back" keeps both:
// the same customer is still there.
function nextCustomer() {
  setMode(false);
  home();
}

// The banner at the top: the service (its database) is away and the kiosk keeps trying.
function away(on) {
  document.querySelector("[data-unavailable]").hidden = !on;
}

let pending = null; // the take-a-number waiting for the service to come back

function home() {
  pending?.abort(); // the customer gave up (or walked away): stop trying
  // A kiosk serves the next customer in Chinese again.
  if (lang === "en") {
    location.href = "/lang/zh-CN?next=/device/kiosk";
    return;
  }
  document.querySelector(".print-frame")?.remove();
  show("home");
  refresh();
}

function serviceButton(service, onPick) {
  const count = waiting[service.code];
  const closed = unserved.has(service.code);
  return el(
    "button",
    { class: "svc", type: "button", "data-service": service.code, onclick: () => onPick(service) },
    el("span", { class: "zh", text: name(service) }),
    lang === "en" ? null : el("span", { class: "en", text: service.name_en }),
    el("span", { class: "hint", text: t("tap_hint") }), // shown in the elderly mode only
    el("span", {
      class: closed ? "wait closed" : "wait",
      "data-unserved": closed ? "" : null,
      text: closed ? t("no_counter_short") : count ? t("waiting", { n: count }) : t("nobody"),
    }),
  );
}

function render() {
  const normal = config.services;
  document.querySelector("[data-services]").replaceChildren(
    ...normal.map((s) => serviceButton(s, (picked) => issue(picked, "normal"))),
  );
  document.querySelector("[data-green-services]").replaceChildren(
    ...normal
      .filter((s) => !s.fast_lane)
      .map((s) =>
        serviceButton(s, (picked) => {
          if (config.green_confirm) {
            pendingGreen = picked;
            document.querySelector("[data-confirm-service]").textContent = name(picked);
            show("confirm");
          } else {
            issue(picked, "green");
          }
        }),
      ),
  );
}

async function refresh() {
  try {
    const queue = await api("GET", "/device/api/v1/lobby/queue");
    waiting = Object.fromEntries(queue.services.map((s) => [s.code, s.waiting]));
    unserved = new Set(queue.services.filter((s) => s.served === false).map((s) => s.code));
    away(false);
  } catch (error) {
    waiting = {};
    unserved = new Set();
    away(unavailable(error)); // polled again every 15 s (below)
  }
  render();
}

let busy = false;
async function issue(service, klass) {
  if (busy) return; // a double tap takes one number
  busy = true;
  const attempt = new AbortController();
  pending = attempt;
  try {
    // Sent again while the service is away: after a 503 nothing was issued; after no answer
    // at all a number may have been, and the customer gets another (at-least-once: the
    // first is never called to a counter by anyone present, and ends as a no-show).
    const ticket = await retrying(
      () => api("POST", "/device/api/v1/lobby/tickets", { service: service.code, class: klass }),
      {
        signal: attempt.signal,
        away: (on) => {
          away(on);
          // Shown once: its idle timeout brings the kiosk home (and stops) if nobody waits.
          if (on && !attempt.signal.aborted && screens.unavailable.hidden) show("unavailable");
        },
      },
    );
    showTicket(ticket, service);
  } catch (error) {
    if (attempt.signal.aborted) return; // back at the start already
    document.querySelector("[data-error]").textContent =
      error instanceof ApiError ? `${t("failed")} ${error.message}` : t("failed");
    show("error");
  } finally {
    busy = false;
    if (pending === attempt) pending = null;
  }
}

function showTicket(ticket, service) {
  document.querySelector("[data-number]").textContent = ticket.number;
  document.querySelector("[data-ticket-service]").textContent = name({
    name_zh: ticket.service_name.zh,
    name_en: ticket.service_name.en,
  });
  document.querySelector("[data-ahead]").textContent = ticket.people_ahead ?? "—";
  document.querySelector("[data-wait]").textContent = waitText(ticket);
  document.querySelector("[data-ahead-fact]").hidden = ticket.served === false;
  document.querySelector("[data-wait-fact]").classList.toggle("unserved", ticket.served === false);
  document.querySelector("[data-qr]").src = `/t/${ticket.token}/qr.svg`;
  const state = document.querySelector("[data-print-state]");
  state.textContent = t("take");
  if (config.print === "browser") {
    // The print view prints itself; a kiosk browser started with --kiosk-printing
    // sends it to the thermal printer without a dialog.
    state.textContent = t("printing");
    const frame = el("iframe", {
      class: "print-frame",
      title: "print",
      src: `/t/${ticket.token}/print?paper=${config.paper}&autoprint=1`,
    });
    document.body.append(frame);
  }
  show("result");
  let left = RESULT_MS / 1000;
  const countdown = document.querySelector("[data-countdown]");
  countdown.textContent = t("back_in", { n: left });
  countdownTimer = setInterval(() => {
    left -= 1;
    countdown.textContent = t("back_in", { n: Math.max(left, 0) });
  }, 1000);
}

window.addEventListener("message", (event) => {
  if (event.origin === location.origin && event.data && event.data.manyi === "printed") {
    document.querySelector("[data-print-state]").textContent = t("take");
  }
});

document.querySelector("[data-green]").addEventListener("click", () => show("green"));
document.querySelector("[data-confirm]").addEventListener("click", () => {
  if (pendingGreen) issue(pendingGreen, "green");
});
for (const button of document.querySelectorAll("[data-home]")) {
  const done = button.closest("[data-screen]")?.dataset.screen === "result";
  button.addEventListener("click", done ? nextCustomer : home);
}
document.addEventListener("pointerdown", () => {
  // A touch keeps the current screen a little longer.
  const current = Object.entries(screens).find(([, node]) => !node.hidden)?.[0];
  if (current && current !== "home" && current !== "result") show(current);
});

clock(document.querySelector("[data-clock]"));
render();
refresh();
setInterval(refresh, 15000);
