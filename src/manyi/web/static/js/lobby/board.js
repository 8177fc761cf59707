// Display board (叫号显示屏): the current call per counter, recent calls, waiting
// counts; every call and recall announced in order, never cut off.
import { api, clock, debounce, el, follow, readJson, t } from "./common.js";
import { Speaker } from "./speaker.js";

const config = readJson("config");
const speaker = new Speaker();
window.manyiSpeaker = speaker; // for the end-to-end tests and for support staff
const seen = new Set(); // event ids already shown (a reconnect may repeat some)
const STALE_MS = 120000; // calls older than this, caught up after an outage, are shown but not spoken
let counters = [];

function renderCounters() {
  document.querySelector("[data-counters]").replaceChildren(
    ...counters.map((c) => {
      const open = c.state !== "closed";
      const text = !open ? t("closed") : c.current || (c.state === "paused" ? t("paused") : "—");
      return el(
        "div",
        { class: `ctr ${open ? "" : "closed"}`, "data-counter": c.number },
        el("span", { class: "n", text: t("counter", { n: c.number }) }),
        el("span", { class: "t", text }),
      );
    }),
  );
}

function renderRecent(calls) {
  document.querySelector("[data-recent]").replaceChildren(
    ...calls.slice(0, 8).map((call) =>
      el(
        "li",
        {},
        el("span", { text: call.number }),
        el("span", { class: "c", text: t("counter", { n: call.counter }) }),
      ),
    ),
  );
}

function renderQueues(services) {
  document.querySelector("[data-queues]").replaceChildren(
    ...services.map((s) =>
      el("span", { class: "q", "data-queue": s.code }, `${s.name.zh} ${t("waiting")}`, el("b", { text: String(s.waiting) })),
    ),
  );
}

function showNow(number, counter, text) {
  document.querySelector("[data-now-number]").textContent = number;
  document.querySelector("[data-now-counter]").textContent = t("counter", { n: counter });
  document.querySelector("[data-now-text]").textContent = text || "";
  const box = document.querySelector("[data-now]");
  box.classList.remove("flash");
  void box.offsetWidth; // restart the animation
  box.classList.add("flash");
}

let recent = [];
async function load() {
  const snap = await api("GET", config.queue_url);
  counters = snap.counters;
  recent = snap.recent_calls;
  renderCounters();
  renderRecent(recent);
  renderQueues(snap.services);
  if (recent.length && document.querySelector("[data-now-number]").textContent === "—") {
    showNow(recent[0].number, recent[0].counter, "");
  }
}
const reload = debounce(() => load().catch(() => {}), 400);

function onEvent(event) {
  if (seen.has(event.id)) return;
  seen.add(event.id);
  if (event.kind === "called" || event.kind === "recalled") {
    const counter = counters.find((c) => c.number === event.counter);
    if (counter) counter.current = event.number;
    renderCounters();
    recent = [{ number: event.number, counter: event.counter, at: event.at }, ...recent];
    renderRecent(recent);
    const text = event.announcement ? event.announcement.zh : "";
    showNow(event.number, event.counter, text);
    if (text && Date.now() - Date.parse(event.at) < STALE_MS) speaker.say(text);
  }
  reload(); // waiting counts and counter states follow from the server's view
}

const conn = document.querySelector("[data-conn]");
follow(config.events_url, {
  hello: () => reload(),
  resync: () => reload(),
  lobby: onEvent,
  state: (value) => {
    conn.textContent = value === "live" ? t("live") : t("down");
    conn.classList.toggle("down", value !== "live");
  },
});

// Voice needs one touch on a board whose browser was not started to allow it.
const voice = document.querySelector("[data-voice]");
if (speaker.available && navigator.userActivation && !navigator.userActivation.hasBeenActive) {
  voice.hidden = false;
  document.addEventListener(
    "pointerdown",
    () => {
      speaker.unlock();
      voice.hidden = true;
    },
    { once: true },
  );
}

clock(document.querySelector("[data-clock]"));
load().catch(() => {});
setInterval(reload, 30000);
