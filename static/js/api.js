// Talking to the REST API from the pages: cookie auth, CSRF header, one silent refresh on 401.
// A 429 never logs anyone out: the page says how long the server asks to wait (Retry-After).

export class ApiError extends Error {
  constructor(status, body, retryAfter = 0) {
    super(messageOf(status, body, retryAfter));
    this.status = status;
    this.body = body || {};
    this.field = this.body.field || "";
    this.retryAfter = retryAfter; // seconds; 0 when the answer did not say
  }
}

function messageOf(status, body, retryAfter) {
  const told = body && (body.message || body.detail) ? String(body.message || body.detail) : "";
  if (status === 429) {
    const text = told || "Too many requests.";
    // A message that already says how long (the 2FA hold) is kept as it is.
    return retryAfter > 0 && !/\d/.test(text) ? `${text} ${waitSentence(retryAfter)}` : text;
  }
  if (told) return told;
  if (status === 0) return "Can't reach the server. Check your connection and try again.";
  if (status === 403) return "You don't have permission to do that.";
  if (status === 404) return "That no longer exists.";
  if (status >= 500) return "Something went wrong on the server. Please try again.";
  return "The request could not be completed.";
}

// "45 s", "16 min 40 s", "1 h 5 min".
export function waitText(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${Math.floor(m / 60)} h`;
}

const clock = (when) => new Date(when).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

function waitSentence(seconds) {
  return `Try again in ${waitText(seconds)} (at ${clock(Date.now() + seconds * 1000)}).`;
}

// Seconds to wait from a 429: the Retry-After header (seconds or an HTTP date), else the
// body's retry_after (seconds, or a date as the spec's export limit gives it).
export function retryAfterOf(res, body) {
  for (const value of [res && res.headers.get("Retry-After"), body && (body.retry_after ?? body.retryAfter)]) {
    if (value == null || value === "") continue;
    const seconds = /^\s*\d+(\.\d+)?\s*$/.test(String(value)) ? Number(value) : (Date.parse(value) - Date.now()) / 1000;
    if (Number.isFinite(seconds) && seconds > 0) return Math.ceil(seconds);
  }
  return 0;
}

let notice = null; // the page's one rate-limit notice: {box, deadline, timer}

// Show, above the page's content, how long the server asks to wait, counting down.
export function showWait(seconds) {
  const flashBox = document.getElementById("flash");
  if (!flashBox || !(seconds > 0)) return;
  const deadline = Date.now() + seconds * 1000;
  if (notice && notice.box.isConnected && notice.deadline >= deadline) return;
  if (!notice || !notice.box.isConnected) {
    const box = document.createElement("p");
    box.className = "message error";
    box.dataset.rateLimit = "";
    box.setAttribute("role", "alert");
    flashBox.replaceChildren(box);
    notice = { box };
  }
  notice.deadline = deadline;
  clearTimeout(notice.timer);
  const tick = () => {
    const left = Math.ceil((notice.deadline - Date.now()) / 1000);
    if (left <= 0) {
      notice.box.className = "message success";
      notice.box.textContent = "You can continue now.";
      notice.box.dataset.seconds = "0";
      const done = notice.box;
      notice.timer = setTimeout(() => done.remove(), 6000);
      return;
    }
    notice.box.dataset.seconds = String(left);
    notice.box.textContent = `Too many requests: please wait ${waitText(left)} (until ${clock(notice.deadline)}) before trying again. You are still signed in.`;
    notice.timer = setTimeout(tick, 1000);
  };
  tick();
}

export function cookie(name) {
  const hit = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
  return hit ? decodeURIComponent(hit.slice(name.length + 1)) : "";
}

let refreshing = null;

// Trade the refresh cookie for a new access cookie; concurrent callers share one attempt.
// Resolves to {ok, status, wait}: status 0 when the server could not be reached, 429 with
// the seconds to wait when it was rate limited (the session may well still be good).
export function refreshSession() {
  refreshing ??= fetch("/api/auth/refresh", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken") },
    body: "{}",
  })
    .then(async (res) => {
      const body = res.status === 429 ? await res.json().catch(() => null) : null;
      return { ok: res.ok, status: res.status, wait: res.status === 429 ? retryAfterOf(res, body) : 0 };
    })
    .catch(() => ({ ok: false, status: 0, wait: 0 }))
    .finally(() => setTimeout(() => { refreshing = null; }, 0));
  return refreshing;
}

// Set while the page logs itself out: the live socket's 4401 (the session just ended) must
// not race the log-out to the login page with a ?next= back to where we were.
let leaving = false;

export function markLeaving() {
  leaving = true;
}

export function goToLogin() {
  if (leaving) return;
  const next = location.pathname + location.search;
  location.assign("/login?next=" + encodeURIComponent(next));
}

const NO_REFRESH = ["/api/auth/login", "/api/auth/refresh", "/api/auth/setup", "/api/auth/2fa/login"];

export async function api(path, { method = "GET", body, form, raw = false, retry = true } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = cookie("csrftoken");
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, null);
  }
  if (res.status === 401 && retry && !NO_REFRESH.some((p) => path.startsWith(p))) {
    const refreshed = await refreshSession();
    if (refreshed.ok) return api(path, { method, body, form, raw, retry: false });
    if (refreshed.status === 429) throw limited(null, refreshed.wait);
    goToLogin();
    throw new ApiError(401, { message: "Your session has ended. Please log in again." });
  }
  if (raw && res.ok) return res;
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 429) throw limited(data, retryAfterOf(res, data));
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// A held 2FA device is not the rate limit: its form counts down on its own button.
function limited(body, wait) {
  if (!body || body.error_code !== "TWO_FACTOR_THROTTLED") showWait(wait);
  return new ApiError(429, body, wait);
}

// -- small DOM helpers shared by the pages --------------------------------------------------

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

export function say(el, text, kind = "") {
  if (!el) return;
  el.textContent = text;
  el.className = "message" + (kind ? " " + kind : "");
  el.hidden = !text;
}

export function flash(text, kind = "success") {
  const box = $("#flash");
  if (!box) return;
  const item = document.createElement("p");
  item.className = "message " + kind;
  item.textContent = text;
  box.replaceChildren(item);
  if (kind !== "error") setTimeout(() => item.remove(), 6000);
}

// Show an API error next to the form field it names, else in the form's message box.
export function showError(form, err, box) {
  $$(".field-error", form).forEach((el) => el.remove());
  $$("[aria-invalid]", form).forEach((el) => el.removeAttribute("aria-invalid"));
  const name = (err.field || "").split(".").pop().replace(/\[\d+\]$/, "");
  const input = name && form.elements.namedItem(name);
  if (input && input.nodeType === 1) {
    input.setAttribute("aria-invalid", "true");
    const note = document.createElement("span");
    note.className = "field-error errorlist";
    note.textContent = err.message;
    input.insertAdjacentElement("afterend", note);
    input.focus();
  }
  say(box, err.message, "error");
}

// After a 429 that says how long to wait (retry_after, as in Retry-After), show the message
// and keep the button disabled, counting down, until the wait is over. True when it did.
export function waitOut(button, err, box) {
  let left = err.retryAfter || Math.ceil(Number(err.body && err.body.retry_after));
  if (err.status !== 429 || !(left > 0) || !button) return false;
  const label = button.textContent;
  say(box, err.message, "error");
  const tick = () => {
    if (left <= 0) {
      button.disabled = false;
      button.textContent = label;
      say(box, "You can try again now.", "");
      return;
    }
    button.disabled = true;
    button.textContent = `Wait ${left} s`;
    left -= 1;
    setTimeout(tick, 1000);
  };
  setTimeout(tick, 0); // after busy() has given the button back
  return true;
}

export async function busy(button, work) {
  const label = button ? button.textContent : "";
  if (button) { button.disabled = true; button.setAttribute("aria-busy", "true"); }
  try {
    return await work();
  } finally {
    if (button) { button.disabled = false; button.removeAttribute("aria-busy"); button.textContent = label; }
  }
}

export function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}

export const fmt = {
  watts: (v) => (v == null ? "—" : Number(v).toLocaleString(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 })),
  kwh: (v) => (v == null ? "—" : Number(v).toLocaleString(undefined, { minimumFractionDigits: 3, maximumFractionDigits: 3 })),
  money: (v) => (v == null ? "—" : Number(v).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })),
  bytes: (n) => {
    if (n == null) return "—";
    const units = ["B", "KB", "MB", "GB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
  },
  when: (iso) => (iso ? new Date(iso).toLocaleString() : "—"),
};
