// Lobby-manager dashboard: live queues, service level, counters, alerts; and the
// actions a lobby manager takes (open/close a counter, change its services,
// page second-line staff, issue a priority ticket).
import { api, connectionText, debounce, el, follow, readJson, t, waitText } from "./common.js";

const config = readJson("config");
const base = `/api/v1/lobby/outlets/${encodeURIComponent(config.outlet)}`;
const $ = (selector) => document.querySelector(selector);
let data = null;
let staff = null;

const minutes = (s) => t("min", { n: Math.round((s || 0) / 60) });
const serviceName = (code) => config.services.find((s) => s.code === code)?.name_zh || code;

function kpi(name, value, sub, level = "") {
  const node = $(`[data-kpi="${name}"]`);
  node.className = `kpi ${level}`;
  node.querySelector("[data-v]").textContent = value;
  node.querySelector("[data-s]").textContent = sub || "";
}

function flash(text, kind = "ok") {
  const box = $("[data-flash]");
  box.className = `alert ${kind}`;
  box.textContent = text;
  box.hidden = false;
  setTimeout(() => (box.hidden = true), 6000);
}

function alertText(a) {
  if (a.kind === "wait_over_target") {
    return t("alert:wait_over_target", { service: a.service_name, m: Math.round(a.longest_wait_s / 60), t: Math.round(a.target_s / 60) });
  }
  if (a.kind === "idle_counter") return t("alert:idle_counter", { n: a.counter, m: Math.round(a.idle_s / 60), w: a.waiting });
  if (a.kind === "dissatisfied_rating") {
    const why = a.reason ? ` · ${t(`reason:${a.reason}`)}` : "";
    return t("alert:dissatisfied_rating", { number: a.number, counter: a.counter }) + why;
  }
  return a.kind;
}

function render() {
  const d = data;
  const target = d.target_wait_s;
  const waiting = d.services.reduce((n, s) => n + s.waiting, 0);
  const longest = Math.max(0, ...d.services.map((s) => s.longest_wait_s));
  kpi("waiting", String(waiting), d.services.filter((s) => s.waiting).map((s) => `${s.code} ${s.waiting}`).join(" · "));
  kpi("longest", minutes(longest), t("target", { m: Math.round(target / 60) }), longest > target ? "bad" : longest > target * 0.8 ? "warn" : "ok");
  const level = d.service_level;
  const share = level.share === null ? "—" : `${Math.round(level.share * 100)}%`;
  kpi("level", share, t("within", { k: level.within, n: level.called + level.still_waiting_over }), level.share === null ? "" : level.share >= 0.8 ? "ok" : level.share >= 0.6 ? "warn" : "bad");
  // The longest wait a new ticket would be told (the same words as the kiosk's), and the
  // services no open counter serves.
  const served = d.services.filter((s) => s.served !== false && s.predicted_wait_s !== null);
  const worst = served.reduce((a, s) => (a === null || s.predicted_wait_s > a.predicted_wait_s ? s : a), null);
  const unserved = d.services.filter((s) => s.served === false).map((s) => s.code);
  const sub = unserved.length ? t("unserved", { services: unserved.join(" ") }) : worst ? `${worst.code} ${worst.name.zh}` : "";
  kpi("predicted", worst === null ? "—" : waitText(worst), sub, unserved.length ? "warn" : "");
  // Ratings today: answered / asked, said in words (the pad asks when a service ends).
  const r = d.ratings;
  const asked = r.prompted_share === null ? "—" : `${Math.round(r.prompted_share * 100)}%`;
  kpi(
    "ratings",
    r.prompted ? `${r.answered}/${r.prompted}` : "—",
    [
      t("rated_of_asked", { a: r.answered, p: r.prompted }),
      t("asked_of_served", { s: r.served, share: asked }),
      t("dissatisfied", { d: r.dissatisfied }),
    ].join("\n"),
    r.dissatisfied ? "bad" : "",
  );

  $("[data-counters]").replaceChildren(
    ...d.counters.map((c) => {
      const actions = [];
      if (config.manage) {
        if (c.state === "closed") actions.push(el("button", { class: "btn", type: "button", text: t("open_counter"), onclick: () => openCounter(c) }));
        else actions.push(el("button", { class: "btn", type: "button", text: t("close_counter"), onclick: () => closeCounter(c) }));
        actions.push(el("button", { class: "btn", type: "button", text: t("services"), onclick: () => editServices(c) }));
      }
      const stateTag = { open: "ok", serving: "info", paused: "warn", closed: "" }[c.state] || "";
      return el(
        "tr",
        { "data-counter": c.number },
        el("td", { text: t("counter", { n: c.number }) }),
        el("td", { text: t(c.kind) }),
        el("td", {}, el("span", { class: `tag ${stateTag}`, text: t(c.state) })),
        el("td", { text: c.teller || "—" }),
        el("td", { text: c.current || "—" }),
        el("td", { text: c.services.join(" ") }),
        el("td", { class: "num", text: c.idle_s === null ? "—" : minutes(c.idle_s) }),
        el("td", {}, el("div", { class: "row-actions" }, ...actions)),
      );
    }),
  );
  $("[data-services]").replaceChildren(
    ...d.services.map((s) =>
      el(
        "tr",
        { "data-service": s.code },
        el("td", { text: `${s.code} ${s.name.zh}` }),
        el("td", { class: "num", text: String(s.waiting) }),
        el("td", { "data-by-class": "", text: Object.entries(s.by_class).map(([k, v]) => `${t(`class:${k}`)} ${v}`).join(" · ") || "—" }),
        el("td", { class: "num", text: s.waiting ? minutes(s.longest_wait_s) : "—" }),
        el("td", { class: "num", text: waitText(s) }),
      ),
    ),
  );
  const alerts = d.alerts.map((a) => {
    const severe = a.kind !== "idle_counter";
    return el(
      "li",
      { class: severe ? "bad" : "warn", "data-alert": a.kind },
      el("span", { class: "text", text: alertText(a) }),
      a.alert_id && config.manage ? el("button", { class: "btn", type: "button", text: t("acknowledge"), onclick: () => acknowledge(a.alert_id) }) : null,
    );
  });
  $("[data-alerts]").replaceChildren(...(alerts.length ? alerts : [el("li", { class: "none", text: t("no_alerts") })]));
  renderAdvice(d.advice);
  const today = Object.entries(d.today);
  $("[data-today]").replaceChildren(...today.map(([k, v]) => el("tr", {}, el("td", { text: t(`today:${k}`) }), el("td", { class: "num", text: String(v) }))));
}

function renderAdvice(advice) {
  const box = $("[data-advice]");
  const current = advice.current;
  if (!current) {
    box.replaceChildren(el("span", { class: "muted", text: t("no_advice") }));
  } else {
    const counter = data.counters.find((c) => c.number === current.counter);
    const act = () => {
      if (current.action === "page_second_line") pageStaff();
      else if (counter && ["open_flexible", "open_for_service"].includes(current.action)) openCounter(counter);
      else if (current.action === "open_for_service") pageStaff();
      else if (counter) closeCounter(counter);
    };
    box.replaceChildren(
      el("div", { class: `alert ${current.action === "close_flexible" ? "ok" : "warn"}`, "data-advice-action": current.action },
        el("span", { text: current.text }), " ",
        config.manage ? el("button", { class: "btn", type: "button", text: t(current.action === "open_for_service" && !counter ? "do:page_second_line" : `do:${current.action}`), onclick: act }) : null),
    );
  }
  $("[data-advice-today]").textContent = t("advice_today", { given: advice.given_today, acted: advice.acted_today });
}

// Reads can overlap (an action's read, a live update's): an answer to an older read that
// comes after a newer one's would show the lobby as it was, so only the latest read is shown.
let reads = 0;
async function load() {
  const mine = ++reads;
  const answer = await api("GET", `${base}/dashboard`);
  if (mine !== reads) return;
  data = answer;
  render();
}
const reload = debounce(() => load().catch(() => {}), 500);

async function act(promise, done) {
  try {
    const result = await promise;
    if (done) flash(done(result));
    await load();
  } catch (error) {
    flash(error.message, "error");
  }
}

async function staffList() {
  staff = await api("GET", `${base}/staff`);
  return staff;
}

function dialog(name) {
  return $(`[data-dialog="${name}"]`);
}

function whenClosed(node, fn) {
  node.addEventListener("close", () => node.returnValue === "ok" && fn(), { once: true });
}

async function openCounter(c) {
  // Tellers first, then others who may work a counter (the lobby manager themself).
  const people = (await staffList())
    .filter((p) => p.may_work_counter && p.at_counter === null)
    .sort((a, b) => Number(!a.roles.includes("teller")) - Number(!b.roles.includes("teller")));
  $("[data-open-title]").textContent = `${t("open_counter")} · ${t("counter", { n: c.number })}`;
  $("[data-open-teller]").replaceChildren(...people.map((p) => el("option", { value: p.username, text: `${p.name} (${p.username})` })));
  const node = dialog("open");
  node.returnValue = "";
  whenClosed(node, () => act(api("POST", `${base}/counters/${c.number}/open`, { teller: $("[data-open-teller]").value })));
  node.showModal();
}

function closeCounter(c) {
  act(api("POST", `${base}/counters/${c.number}/close`));
}

function editServices(c) {
  let order = [...c.services];
  $("[data-services-title]").textContent = `${t("services")} · ${t("counter", { n: c.number })}`;
  const list = $("[data-services-list]");
  list.replaceChildren(
    ...config.services.map((s) => {
      const box = el("input", { type: "checkbox", value: s.code, checked: order.includes(s.code) ? "checked" : null });
      box.addEventListener("change", () => {
        order = box.checked ? [...order, s.code] : order.filter((x) => x !== s.code);
      });
      return el("label", {}, box, ` ${s.code} ${s.name_zh}`);
    }),
  );
  const node = dialog("services");
  node.returnValue = "";
  whenClosed(node, () => act(api("PUT", `${base}/counters/${c.number}/services`, { services: order })));
  node.showModal();
}

async function pageStaff() {
  const people = await staffList();
  $("[data-page-staff]").replaceChildren(
    ...people.map((p) =>
      el(
        "label",
        {},
        el("input", { type: "checkbox", value: p.id, "data-page-id": p.id }),
        ` ${p.name}${p.at_counter !== null ? ` (${t("at_counter", { n: p.at_counter })})` : ""}${p.has_mobile ? " 📱" : ""}`,
      ),
    ),
  );
  $("[data-page-message]").value = t("page_default");
  const node = dialog("page");
  node.returnValue = "";
  whenClosed(node, () => {
    const ids = [...document.querySelectorAll("[data-page-id]:checked")].map((b) => Number(b.value));
    const body = { staff: ids, message: $("[data-page-message]").value, sms_too: $("[data-page-sms]").checked };
    act(api("POST", `${base}/pages`, body), () => t("paged", { n: ids.length }));
  });
  node.showModal();
}

function issueTicket() {
  $("[data-issue-service]").replaceChildren(...config.services.map((s) => el("option", { value: s.code, text: `${s.code} ${s.name_zh}` })));
  const node = dialog("issue");
  node.returnValue = "";
  whenClosed(node, () =>
    act(
      api("POST", `${base}/tickets`, { service: $("[data-issue-service]").value, class: $("[data-issue-class]").value }),
      (ticket) => t("issued", { number: ticket.number }),
    ),
  );
  node.showModal();
}

function acknowledge(id) {
  act(api("POST", `${base}/alerts/${id}/acknowledge`));
}

$("[data-open-page]")?.addEventListener("click", pageStaff);
$("[data-open-issue]")?.addEventListener("click", issueTicket);

const conn = $("[data-conn]");
follow(`${base}/events`, {
  hello: reload,
  resync: reload,
  lobby: reload,
  state: (value) => {
    conn.textContent = connectionText(value); // "unavailable" while the database is away
    conn.className = `tag ${value === "live" ? "ok" : "warn"}`;
  },
});
load().catch((error) => flash(error.message, "error"));
setInterval(reload, 20000); // waits grow even when nothing happens
