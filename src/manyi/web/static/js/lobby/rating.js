// Rating pad (评价器) at one counter: asks when the teller completes a ticket,
// takes one answer within the window, then thanks the customer.
import { api, clock, follow, readJson, t } from "./common.js";
import { renderBadge } from "./badge.js";

const config = readJson("config");
const views = Object.fromEntries([...document.querySelectorAll("[data-view]")].map((n) => [n.dataset.view, n]));
let prompt = null; // {prompt_id, number, expires_at}
let deadline = 0;
let score = null;
let reason = null;
let timer = null;

function show(name) {
  for (const [key, node] of Object.entries(views)) node.hidden = key !== name;
}

function idle() {
  prompt = null;
  clearInterval(timer);
  show("idle");
}

function ask(next, windowMs) {
  prompt = next;
  score = null;
  reason = null;
  for (const b of document.querySelectorAll("[data-reason]")) b.setAttribute("aria-pressed", "false");
  document.querySelector("[data-number]").textContent = next.number;
  deadline = Date.now() + windowMs;
  clearInterval(timer);
  const bar = document.querySelector("[data-left]");
  const tick = () => {
    const left = deadline - Date.now();
    bar.style.width = `${Math.max(0, (left / windowMs) * 100)}%`;
    if (left <= 0) finish(t("expired"));
  };
  tick();
  timer = setInterval(tick, 500);
  show("ask");
}

function finish(text, surveyUrl = null) {
  clearInterval(timer);
  prompt = null;
  document.querySelector("[data-done]").textContent = text;
  // The visit's survey (when quality invited it): a QR code the customer scans with a phone.
  const survey = document.querySelector("[data-survey]");
  if (survey) {
    survey.hidden = !surveyUrl;
    if (surveyUrl) document.querySelector("[data-survey-qr]").src = `${surveyUrl}/qr.svg?via=rating_pad`;
  }
  show("done");
  setTimeout(() => {
    if (!prompt) idle();
  }, surveyUrl ? 30000 : 4000);
}

async function submit() {
  if (!prompt) return;
  const body = { prompt_id: prompt.prompt_id, score };
  if (reason) body.reason = reason;
  try {
    const answered = await api("POST", "/device/api/v1/lobby/ratings", body);
    finish(t("thanks"), answered && answered.survey_url);
  } catch (error) {
    finish(error.status === 409 ? t("expired") : t("failed"));
  }
}

for (const button of document.querySelectorAll("[data-score]")) {
  button.addEventListener("click", () => {
    score = button.dataset.score;
    if (score === "neutral" || score === "dissatisfied") show("reason");
    else submit();
  });
}
for (const button of document.querySelectorAll("[data-reason]")) {
  button.addEventListener("click", () => {
    reason = reason === button.dataset.reason ? null : button.dataset.reason;
    for (const b of document.querySelectorAll("[data-reason]")) {
      b.setAttribute("aria-pressed", String(b.dataset.reason === reason));
    }
  });
}
document.querySelector("[data-submit]").addEventListener("click", submit);

async function load() {
  const state = await api("GET", `/device/api/v1/lobby/rating-pad/${config.counter}`);
  // The teller signed on here (挂牌上岗), when supervision offers a badge.
  renderBadge(document.querySelector("[data-badge]"), state.teller);
  if (state.prompt && (!prompt || prompt.prompt_id !== state.prompt.prompt_id)) {
    const left = Date.parse(state.prompt.expires_at) - Date.parse(state.now || new Date().toISOString());
    ask(state.prompt, Math.max(1000, Math.min(left, state.rating_window_s * 1000)));
  }
}

follow("/device/api/v1/lobby/events", {
  hello: () => load().catch(() => {}),
  lobby: (event) => {
    if (event.counter !== config.counter) return;
    if (event.kind === "counter_opened" || event.kind === "counter_closed") {
      load().catch(() => {}); // a teller signed on or off: the badge changes
    } else if (event.kind === "rating_prompted") {
      // A prompt replayed after a reconnect may be over already (clocks are in NTP sync).
      const expires = Date.parse(event.expires_at);
      const left = Math.min(expires - Date.parse(event.at), expires - Date.now());
      if (left > 1000) ask(event, left);
    } else if (event.kind === "rated" && prompt && event.prompt_id === prompt.prompt_id && views.ask.hidden === false) {
      finish(t("thanks"));
    }
  },
});

clock(document.querySelector("[data-clock]"));
idle();
window.manyiRating = { get prompt() { return prompt; } };
