// Teller console: sign on to a counter, then work it from the keyboard with the
// function keys shown on screen, as on a hardware calling pad.
import { api, connectionText, debounce, el, follow, readJson, retrying, t, unavailable } from "./common.js";

const config = readJson("config");
const base = `/api/v1/lobby/outlets/${encodeURIComponent(config.outlet)}`;
const $ = (selector) => document.querySelector(selector);
let me = null; // /me: my counter, its state, the current customer, my figures
let snapshot = null;

function serviceName(code) {
  const s = config.services.find((x) => x.code === code);
  return s ? (document.documentElement.lang === "en" ? s.name_en || s.name_zh : s.name_zh) : code;
}

function message(text, kind = "error") {
  const box = $("[data-message]");
  box.hidden = !text;
  box.className = `alert ${kind}`;
  box.textContent = text || "";
}

function fillCounters() {
  const select = $("[data-counter-select]");
  select.replaceChildren(
    ...config.counters.map((c) =>
      el("option", { value: c.number, text: `${t("counter", { n: c.number })} · ${c.services.map(serviceName).join(" / ")}` }),
    ),
  );
}

function render() {
  const signedOn = me && me.counter !== null;
  $("[data-signon]").hidden = signedOn;
  $("[data-console]").hidden = !signedOn;
  // The function keys act once the teller's state is known (tests wait for this mark).
  if (me) document.body.dataset.consoleReady = "1";
  if (!signedOn) return;
  $("[data-my-counter]").textContent = t("counter", { n: me.counter });
  const state = $("[data-counter-state]");
  state.textContent = t(me.state === "serving" ? "open" : me.state);
  state.className = `tag ${me.state === "paused" ? "warn" : "ok"}`;
  $("[data-pause-label]").textContent = me.state === "paused" ? t("resume") : t("pause");
  const current = me.current;
  $("[data-number]").textContent = current ? current.number : "—";
  const meta = $("[data-meta]");
  if (current) {
    meta.replaceChildren(...[
      el("span", { class: "tag info", text: t(current.state) }),
      el("span", { text: serviceName(current.service) }),
      current.class !== "normal" ? el("span", { class: "tag warn", text: t(`class:${current.class}`) }) : null,
      current.waited_s !== null ? el("span", { text: t("waited", { m: Math.round(current.waited_s / 60) }) }) : null,
      el("span", { class: "muted", text: t("calls", { n: current.call_count }) }),
    ].filter(Boolean));
  } else {
    meta.replaceChildren(el("span", { class: "muted", text: t("none") }));
  }
  const has = Boolean(current);
  const enable = (action, on) => {
    $(`[data-action="${action}"]`).disabled = !on;
  };
  enable("call-next", !has && me.state !== "paused");
  for (const action of ["recall", "complete", "no-show", "transfer"]) enable(action, has);
  enable("start", has && current.state === "called");
  enable("pause", !has);
  enable("close", !has);
  $("[data-served]").textContent = String(me.served_today);
  $("[data-average]").textContent =
    me.average_service_s === null
      ? "—"
      : me.average_service_s >= 60
        ? t("minutes", { n: Math.round(me.average_service_s / 60) })
        : t("seconds", { n: me.average_service_s });
  renderWaiting();
}

function renderWaiting() {
  if (!snapshot || !me || me.counter === null) return;
  const mine = snapshot.services.filter((s) => me.services.includes(s.code));
  const rows = mine.map((s) =>
    el(
      "tr",
      { "data-waiting-service": s.code },
      el("td", { text: `${s.code} ${serviceName(s.code)}` }),
      el("td", { class: "num", text: String(s.waiting) }),
    ),
  );
  $("[data-waiting]").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { text: t("nobody_waiting") }))]));
}

// Reads are tried again with a back-off while the service is away (the badge says so).
const whileAway = { away: (on) => connState({ away: on }) };
async function loadMe() {
  me = await retrying(() => api("GET", `${base}/me`), whileAway);
  render();
}
async function loadQueue() {
  snapshot = await retrying(() => api("GET", `${base}/queue`), whileAway);
  renderWaiting();
}
const refresh = debounce(() => {
  loadMe().catch(() => {});
  loadQueue().catch(() => {});
}, 250);

// Keys pressed in quick succession (F4 then F1) run one after another, in order,
// each against the state the one before left.
let chain = Promise.resolve();
function act(action) {
  chain = chain.then(() => run(action)).catch(() => {});
  return chain;
}

async function run(action) {
  if (!me || me.counter === null) return;
  const button = $(`[data-action="${action}"]`);
  if (button && button.disabled) return;
  if (action === "transfer") {
    openTransfer();
    return;
  }
  const name = action === "pause" && me.state === "paused" ? "resume" : action;
  button?.classList.add("pressed");
  try {
    const path = `${base}/counters/${me.counter}/${name}`;
    const body = me.current && ["recall", "start", "complete", "no-show"].includes(name) ? { ticket_id: me.current.id } : undefined;
    // A 503 says nothing was done: the key is sent again once the service is back. With no
    // answer at all it may have been done, so it is not sent twice: the console reloads and
    // shows what is true now (the customer called, or not).
    const result = await retrying(() => api("POST", path, body), {
      away: (on) => {
        connState({ away: on });
        if (on) message(t("unavailable"), "warn");
      },
      resend: false,
    });
    message(name === "call-next" && result && !result.ticket ? t("nobody_waiting") : "", "warn");
    if (name === "close") message(t("signed_off"), "ok");
    await loadMe();
    loadQueue().catch(() => {});
  } catch (error) {
    message(unavailable(error) ? t("not_sure") : error.message, "warn");
    if (unavailable(error)) await loadMe().catch(() => {});
  } finally {
    button?.classList.remove("pressed");
  }
}

function openTransfer() {
  const dialog = $("[data-transfer]");
  $("[data-transfer-service]").replaceChildren(
    el("option", { value: "", text: "—" }),
    ...config.services.filter((s) => !me.current || s.code !== me.current.service).map((s) => el("option", { value: s.code, text: `${s.code} ${serviceName(s.code)}` })),
  );
  $("[data-transfer-counter]").replaceChildren(
    el("option", { value: "", text: "—" }),
    ...config.counters.filter((c) => c.number !== me.counter).map((c) => el("option", { value: c.number, text: t("counter", { n: c.number }) })),
  );
  dialog.showModal();
  $("[data-transfer-service]").focus();
}

// Enter transfers (also from inside a list), Esc cancels: the dialog never needs the mouse.
$("[data-transfer]").addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    event.preventDefault();
    $("[data-transfer]").close("ok");
  }
});

$("[data-transfer]").addEventListener("close", async () => {
  const dialog = $("[data-transfer]");
  if (dialog.returnValue !== "ok") return;
  const service = $("[data-transfer-service]").value;
  const counter = $("[data-transfer-counter]").value;
  if (!service && !counter) {
    message(t("choose_target"));
    return;
  }
  try {
    await api("POST", `${base}/counters/${me.counter}/transfer`, {
      ticket_id: me.current.id,
      service: service || null,
      counter: counter ? Number(counter) : null,
    });
    message("");
    await loadMe();
  } catch (error) {
    message(error.message);
  }
});

$("[data-signon-form]").addEventListener("submit", async (event) => {
  event.preventDefault();
  const number = Number($("[data-counter-select]").value);
  try {
    await api("POST", `${base}/counters/${number}/open`);
    message("");
    await loadMe();
    await loadQueue();
  } catch (error) {
    window.alert(error.message);
  }
});

for (const button of document.querySelectorAll("[data-action]")) {
  button.addEventListener("click", () => act(button.dataset.action));
}

const KEYS = Object.fromEntries([...document.querySelectorAll("[data-key]")].map((b) => [b.dataset.key, b.dataset.action]));
document.addEventListener("keydown", (event) => {
  const action = KEYS[event.key];
  if (!action) return;
  event.preventDefault(); // F1 help, F5 reload… belong to the console here
  if ($("[data-transfer]").open) return;
  act(action);
});

// The badge: the event stream's state, or "unavailable" while the service is away.
const conn = $("[data-conn]");
const connection = { stream: "down", away: false };
function connState(change) {
  Object.assign(connection, change);
  const state = connection.away ? "unavailable" : connection.stream;
  conn.textContent = connectionText(state);
  conn.className = `tag ${state === "live" ? "ok" : state === "unavailable" ? "bad" : "warn"}`;
  conn.dataset.state = state;
}
follow(`${base}/events`, {
  hello: refresh,
  resync: refresh,
  lobby: refresh,
  state: (value) => connState({ stream: value }),
});

fillCounters();
loadMe().catch((error) => message(error.message));
loadQueue().catch(() => {});
