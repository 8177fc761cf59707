// Display board (叫号显示屏): the current call per counter, recent calls, waiting
// counts; every call and recall announced in order, never cut off.
import { api, clock, connectionText, debounce, el, follow, readJson, retrying, t } from "./common.js";
import { NowQueue } from "./nowqueue.js";
import { Speaker, announceCall } from "./speaker.js";

const config = readJson("config");
const voices = config.voices || { en: false, dialect: "", rate: 0.9 };
const speaker = new Speaker({ rate: voices.rate });
window.manyiSpeaker = speaker; // for the end-to-end tests and for support staff
const nowQueue = new NowQueue(config.hold_ms ?? 10000, (call) => showNow(call.number, call.counter, call.text));
window.manyiNow = nowQueue; // for the end-to-end tests
const seen = new Set(); // event ids already shown (a reconnect may repeat some)
const STALE_MS = 120000; // calls older than this, caught up after an outage, are shown but not spoken
let counters = [];

function renderCounters() {
  document.querySelector("[data-counters]").replaceChildren(
    ...counters.map((c) => {
      const open = c.state !== "closed";
      // A paused counter calls nobody: it says so, even with a customer still at it.
      const paused = c.state === "paused";
      const text = !open ? t("closed") : paused ? t("paused") : c.current || "—";
      return el(
        "div",
        { class: `ctr ${open ? "" : "closed"} ${paused ? "paused" : ""}`, "data-counter": c.number, "data-state": c.state },
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

// The last call stays large only while its counter works: once that counter pauses or
// closes, the call is shown small and greyed, with the counter's state.
let nowCounter = null;
function markNow() {
  const box = document.querySelector("[data-now]");
  const counter = counters.find((c) => c.number === nowCounter);
  const stopped = counter && (counter.state === "paused" || counter.state === "closed") ? counter.state : "";
  box.classList.toggle("stopped", Boolean(stopped));
  box.dataset.nowState = stopped || "calling";
  const note = document.querySelector("[data-now-stopped]");
  note.textContent = stopped ? t(`now_${stopped}`, { n: nowCounter }) : "";
  note.hidden = !stopped;
}

function showNow(number, counter, text) {
  nowCounter = counter;
  document.querySelector("[data-now-number]").textContent = number;
  document.querySelector("[data-now-counter]").textContent = t("counter", { n: counter });
  document.querySelector("[data-now-text]").textContent = text || "";
  const box = document.querySelector("[data-now]");
  box.classList.remove("flash");
  void box.offsetWidth; // restart the animation
  box.classList.add("flash");
  markNow();
}

let recent = [];
async function load() {
  const snap = await api("GET", config.queue_url);
  counters = snap.counters;
  recent = snap.recent_calls;
  renderCounters();
  renderRecent(recent);
  renderQueues(snap.services);
  if (recent.length) nowQueue.seed({ number: recent[0].number, counter: recent[0].counter, text: "" });
  markNow();
}
// One load at a time, tried again with a back-off while the service is away.
let loading = null;
function loadUntilAnswered() {
  loading ??= retrying(load, { away: (on) => connState({ away: on }) })
    .catch(() => {})
    .finally(() => {
      loading = null;
    });
  return loading;
}
const reload = debounce(loadUntilAnswered, 400);

function onEvent(event) {
  if (seen.has(event.id)) return;
  seen.add(event.id);
  if (event.kind === "called" || event.kind === "recalled") {
    const counter = counters.find((c) => c.number === event.counter);
    if (counter) counter.current = event.number;
    renderCounters();
    recent = [{ number: event.number, counter: event.counter, at: event.at }, ...recent];
    renderRecent(recent);
    const said = event.announcement || {};
    // With English on, the board shows the English line under the Chinese one, as it says it.
    const text = [said.zh, voices.en ? said.en : ""].filter(Boolean).join("\n");
    nowQueue.push({ number: event.number, counter: event.counter, text });
    if (said.zh && Date.now() - Date.parse(event.at) < STALE_MS) announceCall(speaker, said, voices);
  }
  reload(); // waiting counts and counter states follow from the server's view
}

// The badge: the event stream's state, or "unavailable" while the service is away.
const conn = document.querySelector("[data-conn]");
const connection = { stream: "down", away: false };
function connState(change) {
  Object.assign(connection, change);
  const state = connection.away ? "unavailable" : connection.stream;
  conn.textContent = connectionText(state);
  conn.classList.toggle("down", state !== "live");
  conn.classList.toggle("unavailable", state === "unavailable");
  conn.dataset.state = state;
}
follow(config.events_url, {
  hello: () => reload(),
  resync: () => reload(),
  lobby: onEvent,
  state: (value) => connState({ stream: value }),
});

// Voice: the board finds out whether speech works (a silent utterance, see
// Speaker.probe). Where it does, as on a board whose browser was started to allow it,
// nothing is shown; where it waits for a touch, a badge in the top bar (never over the
// calls) asks for one, and any touch anywhere unlocks it. The board's data-voice-state
// says which: probing, on, needs-touch, unavailable.
const board = document.querySelector("[data-testid=board]");
const voice = document.querySelector("[data-voice]");
function voiceState(state) {
  board.dataset.voiceState = state;
  voice.hidden = state !== "needs-touch";
}
voiceState("probing");
speaker.probe().then((result) => {
  if (result === "works") voiceState("on");
  else if (result === "unavailable") voiceState("unavailable");
  else {
    voiceState("needs-touch");
    document.addEventListener(
      "pointerdown",
      () => {
        speaker.unlock();
        voiceState("on");
      },
      { once: true },
    );
  }
});

clock(document.querySelector("[data-clock]"));
loadUntilAnswered();
setInterval(reload, 30000);
