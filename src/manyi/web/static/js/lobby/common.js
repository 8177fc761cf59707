// Shared by the lobby screens: configuration, texts, the JSON API, the event stream.

export function readJson(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : {};
}

const TEXTS = readJson("i18n");

// A translated text; "{name}" placeholders are filled from `values`.
export function t(key, values = {}) {
  const text = TEXTS[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}

export const lang = document.documentElement.lang === "en" ? "en" : "zh";

export function name(item) {
  return lang === "en" ? item.name_en || item.name_zh : item.name_zh;
}

// `status` 0: no answer at all (the network, or the server process, is gone).
// `retryAfter`: the seconds the server asked for with a 503 (the database is away).
export class ApiError extends Error {
  constructor(message, status, data, retryAfter = null) {
    super(message);
    this.status = status;
    this.data = data;
    this.retryAfter = retryAfter;
  }
}

export async function api(method, url, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) headers["X-CSRF-Token"] = meta.content;
  }
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(t("unavailable"), 0, null);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const retryAfter = Number(response.headers.get("Retry-After")) || null;
    throw new ApiError((data && data.message) || response.statusText, response.status, data, retryAfter);
  }
  return data;
}

// --- the service away -----------------------------------------------------------------
// While the database is away the server answers 503 with Retry-After, having done nothing;
// a server that is gone answers nothing (or a proxy in front answers 502/504). The screens
// say "服务暂时不可用，正在重试…" and try again by themselves with a back-off.

export function unavailable(error) {
  return error instanceof ApiError && [0, 502, 503, 504].includes(error.status);
}

// 1 s, doubling, at most 15 s, never sooner than the server's Retry-After, and spread by
// ±20 % so that a lobby's screens do not all come back at the same instant.
export function backoff(attempt, error = null) {
  const base = Math.min(1000 * 2 ** attempt, 15000);
  const asked = error && error.retryAfter ? error.retryAfter * 1000 : 0;
  return Math.min(Math.max(base, asked), 30000) * (0.8 + Math.random() * 0.4);
}

export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

// Wait until the server answers its health check again (the database reachable).
export async function serverBack(signal) {
  for (let attempt = 0; !signal?.aborted; attempt += 1) {
    try {
      const response = await fetch("/healthz", { cache: "no-store" });
      if (response.ok) return;
    } catch {
      // still gone
    }
    await sleep(backoff(attempt), signal);
  }
}

// Run `work` (calls of `api`) until it gets an answer other than "unavailable". Meanwhile
// `away(true)` lets the screen say so, and `away(false)` once the server answers again.
// A 503 says nothing was done, so `work` is simply run again. With no answer at all, the
// request may have been done: `work` runs again only if `resend` says it may (a read, or
// an action that is harmless twice); otherwise this waits for the server to be back and
// throws, and the caller reloads what is true now. `signal` (an AbortSignal) gives up.
export async function retrying(work, { away = () => {}, resend = true, signal } = {}) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const result = await work();
      away(false);
      return result;
    } catch (error) {
      if (!unavailable(error) || signal?.aborted) {
        away(false);
        throw error;
      }
      away(true);
      if (error.status !== 503 && !resend) {
        await serverBack(signal);
        away(false);
        throw error;
      }
      await sleep(backoff(attempt, error), signal);
      if (signal?.aborted) {
        away(false);
        throw error;
      }
    }
  }
}

// What a screen's connection badge shows: the event stream's state, unless the last
// request said the service is away.
export function connectionText(state) {
  return t(state === "live" ? "live" : state === "unavailable" ? "unavailable" : "down");
}

// Follow a Server-Sent Events stream. The browser reconnects by itself and sends the
// last event id; when the server refuses or is gone for good we reconnect ourselves
// with ?after=<last id>, so nothing is missed either way.
export function follow(url, handlers) {
  let last = null;
  let source = null;
  let stopped = false;
  let delay = 1000;
  let away = false; // the last failure was the database away (the health check said 503)
  let heard = 0; // streams that said hello: a health answer older than the last one is stale
  const state = (value) => handlers.state && handlers.state(value);

  function connect() {
    const target = last === null ? url : `${url}${url.includes("?") ? "&" : "?"}after=${last}`;
    source = new EventSource(target);
    source.addEventListener("hello", (e) => {
      delay = 1000;
      away = false;
      heard += 1;
      state("live");
      handlers.hello && handlers.hello(JSON.parse(e.data));
    });
    source.addEventListener("lobby", (e) => {
      if (e.lastEventId) last = Number(e.lastEventId);
      handlers.lobby && handlers.lobby(JSON.parse(e.data));
    });
    source.addEventListener("resync", (e) => {
      const data = JSON.parse(e.data);
      last = data.last_event_id;
      handlers.resync && handlers.resync(data);
    });
    source.addEventListener("status", (e) => {
      away = false;
      heard += 1;
      state("live");
      handlers.status && handlers.status(JSON.parse(e.data));
    });
    source.addEventListener("end", () => {
      stopped = true;
      source.close();
      handlers.end && handlers.end();
    });
    source.onerror = () => {
      if (stopped) return;
      if (!away) state("down");
      // An event stream cannot see why it failed: ask the health check whether the server
      // is there with its database away (503), to say "unavailable" rather than "reconnecting".
      const asked = heard;
      fetch("/healthz", { cache: "no-store" })
        .then((response) => {
          if (stopped || heard !== asked) return; // the stream is back meanwhile
          away = response.status === 503;
          state(away ? "unavailable" : "down");
        })
        .catch(() => {
          away = false;
        });
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 15000);
      }
    };
  }
  connect();
  return {
    close() {
      stopped = true;
      source && source.close();
    },
    get lastId() {
      return last;
    },
  };
}

// Call `fn` once after a burst of calls has settled.
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// The wait as the kiosk, the status page and the dashboard show it, by the rules of
// `printing.format_wait`: no open counter; the 80 % range ("约 8–12 分钟": low end down,
// high end up; "5 分钟内" from 0); else the estimate rounded up. `w` carries predicted_wait_s, wait_low_s,
// wait_high_s and served (a bare number of seconds is taken as the estimate alone).
export function waitText(w) {
  const e = typeof w === "object" && w !== null ? w : { predicted_wait_s: w };
  if (e.served === false) return t("no_counter");
  const low = e.wait_low_s, high = e.wait_high_s;
  if (low !== null && low !== undefined && high !== null && high !== undefined) {
    if (high < 60) return t("soon");
    const lo = Math.floor(low / 60), hi = Math.ceil(high / 60);
    if (lo >= hi) return t("minutes", { n: hi });
    return t(lo ? "range" : "up_to", { low: lo, high: hi });
  }
  const seconds = e.predicted_wait_s;
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return t("soon");
  return t("minutes", { n: Math.ceil(seconds / 60) });
}

// The outlet's local time (a screen's own clock may be set to another zone).
export function clock(node, timeZone = readJson("config").timezone) {
  if (!node) return;
  const tick = () => {
    node.textContent = new Date().toLocaleTimeString(lang === "en" ? "en-GB" : "zh-CN", {
      hour: "2-digit",
      minute: "2-digit",
      timeZone: timeZone || undefined,
    });
  };
  tick();
  setInterval(tick, 10000);
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}
