// The kiosk's appointment check-in (预约签到): a keypad, or the QR scanner typing into the field.
import { api, readJson } from "./common.js";

const root = document.querySelector("[data-kappt]");
const config = readJson("config");
const CLOSE_MS = 20000;
let closeTimer = null;

const input = root.querySelector("[data-kappt-code]");
const error = root.querySelector("[data-kappt-error]");
const step = (name) => {
  for (const panel of root.querySelectorAll("[data-kappt-step]")) panel.hidden = panel.dataset.kapptStep !== name;
};

function open() {
  input.value = "";
  error.hidden = true;
  step("code");
  root.hidden = false;
  input.focus();
  clearTimeout(closeTimer);
  closeTimer = setTimeout(close, 60000);
}

function close() {
  clearTimeout(closeTimer);
  root.hidden = true;
  document.querySelector(".kappt-print")?.remove();
}

async function submit(event) {
  event.preventDefault();
  const code = input.value.trim();
  if (!code) return;
  error.hidden = true;
  try {
    const done = await api("POST", "/device/api/v1/lobby/appointments/check-in", { code });
    root.querySelector("[data-kappt-number]").textContent = done.number;
    const time = new Intl.DateTimeFormat("zh-CN", {
      hour: "2-digit",
      minute: "2-digit",
      hour12: false,
      timeZone: config.timezone || "Asia/Shanghai",
    }).format(new Date(done.slot_start));
    root.querySelector("[data-kappt-note]").classList.toggle("late", done.late);
    root.querySelector("[data-kappt-note]").textContent = done.late
      ? root.dataset.textLate
      : root.dataset.textOnTime.replace("{time}", time);
    const token = done.status_path.split("/").pop();
    root.querySelector("[data-kappt-qr]").src = `${done.status_path}/qr.svg`;
    step("done");
    if (config.print === "browser") {
      const frame = document.createElement("iframe");
      frame.className = "kappt-print";
      frame.title = "print";
      frame.src = `/t/${token}/print?paper=${config.paper || 80}&autoprint=1`;
      frame.style.display = "none";
      document.body.append(frame);
    }
    clearTimeout(closeTimer);
    closeTimer = setTimeout(close, CLOSE_MS);
  } catch (failure) {
    error.textContent = failure.message || root.dataset.textFailed;
    error.hidden = false;
    input.select();
  }
}

document.querySelector("[data-kappt-open]").addEventListener("click", open);
for (const button of root.querySelectorAll("[data-kappt-close]")) button.addEventListener("click", close);
root.querySelector("[data-kappt-form]").addEventListener("submit", submit);
for (const key of root.querySelectorAll("[data-key]")) {
  key.addEventListener("click", () => {
    const k = key.dataset.key;
    if (k === "clear") input.value = "";
    else if (k === "back") input.value = input.value.slice(0, -1);
    else if (input.value.length < 64) input.value += k;
    input.focus();
  });
}
