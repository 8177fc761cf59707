// The customer's status page: position, people ahead, predicted wait, and a clear
// "please go to counter N" when called. Follows the ticket's own event stream.
import { api, connectionText, follow, name, readJson, t, waitText } from "./common.js";
import { renderBadge } from "./badge.js";

let status = readJson("config");
const $ = (selector) => document.querySelector(selector);

function render(s) {
  status = s;
  $("[data-number]").textContent = s.number;
  if (s.service_name) $("[data-service]").textContent = name({ name_zh: s.service_name.zh, name_en: s.service_name.en });
  const called = s.state === "called" || s.state === "serving";
  const finished = s.state === "finished";
  $("[data-go]").hidden = !called;
  $("[data-facts]").hidden = called || finished;
  $("[data-done]").hidden = !finished;
  $("[data-cancel]").hidden = s.state !== "waiting";
  if (called) {
    $("[data-state]").textContent = t(s.state);
    $("[data-where]").textContent = t("go", { n: s.counter });
    $("[data-say]").textContent = s.announcement ? s.announcement.zh : "";
    renderBadge($("[data-go] [data-badge]"), s.teller); // who serves the customer (挂牌上岗)
    if (navigator.vibrate) navigator.vibrate([300, 200, 300]);
  } else if (finished) {
    $("[data-state]").textContent = "";
    $("[data-done]").textContent = t(s.outcome || "served");
    const survey = $("[data-survey-link]");
    if (survey && s.survey_url) survey.href = `${s.survey_url}?via=status_page`;
    if (survey) survey.hidden = !s.survey_url;
  } else {
    $("[data-state]").textContent = t("waiting");
    $("[data-position]").textContent = s.position ?? "—";
    $("[data-ahead]").textContent = s.people_ahead ?? "—";
    $("[data-wait]").textContent = waitText(s);
  }
  // The elderly mode's plain sentence: "还有 2 人，约 8–12 分钟".
  const plain = $("[data-plain]");
  plain.hidden = s.state !== "waiting";
  if (s.people_ahead == null) plain.textContent = waitText(s);
  else plain.textContent = t(s.people_ahead === 0 ? "plain_next" : "plain", { n: s.people_ahead, wait: waitText(s) });
}

const conn = $("[data-conn]");
const stream = follow(`/api/v1/public/tickets/${encodeURIComponent(location.pathname.split("/")[2])}/events`, {
  status: render,
  end: () => {
    conn.textContent = "";
  },
  state: (value) => {
    conn.textContent = connectionText(value); // "unavailable" while the database is away
    conn.classList.toggle("down", value !== "live");
  },
});

$("[data-cancel]").addEventListener("click", async () => {
  if (!window.confirm(t("confirm_cancel"))) return;
  try {
    await api("POST", `/api/v1/public/tickets/${encodeURIComponent(location.pathname.split("/")[2])}/cancel`);
  } catch (error) {
    window.alert(error.message);
  }
});

render(status);
window.manyiStatus = { get current() { return status; }, stream };
