// Live device events over /ws/devices/ (the access cookie authenticates the socket).
import { refreshSession, goToLogin, showWait, $$, fmt } from "./api.js";

const UNAUTHORISED = 4401;

export function connectLive({ onUpdate, onStatus, onState }) {
  let delay = 1000;
  let refreshed = false;

  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/devices/`);
    let opened = false;
    onState("connecting");
    socket.addEventListener("open", () => {
      opened = true;
      delay = 1000;
      socket.send(JSON.stringify({ event: "subscribe_all" }));
    });
    socket.addEventListener("message", (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      if (message.event === "subscribed") { refreshed = false; onState("live"); }
      else if (message.event === "device_update") onUpdate(message);
      else if (message.event === "device_status") onStatus(message);
    });
    socket.addEventListener("close", async (event) => {
      onState("offline");
      // A refused handshake (or 4401) usually means the access cookie expired: trade the
      // refresh cookie once; a server that is down just gets retried with back-off.
      if ((event.code === UNAUTHORISED || !opened) && !refreshed) {
        refreshed = true;
        const answer = await refreshSession();
        if (answer.ok) return open();
        if (answer.status === 429) { // rate limited, not logged out: try again after the wait
          refreshed = false;
          showWait(answer.wait);
          return setTimeout(open, Math.max(answer.wait, 1) * 1000);
        }
        if (event.code === UNAUTHORISED) return goToLogin();
      }
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }

  open();
}

const LABELS = { connecting: "Connecting to live updates…", live: "Live", offline: "Reconnecting…" };

export function showLiveState(state) {
  const box = document.getElementById("live-state");
  if (!box) return;
  box.dataset.state = state;
  box.querySelector("[data-live-label]").textContent = LABELS[state];
}

// Put one device_update / device_status into every card showing that device.
export function cardsFor(message) {
  const id = message.data?.device_id ?? message.device_id;
  if (id != null) return $$(`.device-card[data-device-id="${id}"]`);
  return $$(`.device-card[data-ip="${CSS.escape(message.device_ip)}"]`);
}

// A strip's card holds its outlets' cards: touch only the elements of this card itself.
function own(card, selector) {
  return [...card.querySelectorAll(selector)].filter((el) => el.closest(".device-card") === card);
}

export function applyUpdate(card, data) {
  const set = (field, text) => own(card, `[data-field=${field}]`).forEach((el) => { el.textContent = text; });
  if ("current_power_w" in data) set("power", fmt.watts(data.current_power_w));
  if ("is_on" in data && data.is_on !== null) {
    set("state", data.is_on ? "On" : "Off");
    const [toggle] = own(card, "[data-action=power]");
    if (toggle && !toggle.dataset.pending) toggle.checked = data.is_on;
  }
  if (data.timestamp) {
    own(card, "[data-field=updated]").forEach((el) => {
      el.dateTime = data.timestamp;
      el.textContent = "at " + new Date(data.timestamp).toLocaleTimeString();
    });
  }
  card.dataset.power = data.current_power_w ?? "";
}

const STATUS_LABELS = { auth_failed: "Needs credentials" };  // as Device.Status labels it

export function applyStatus(card, status) {
  card.dataset.status = status;
  own(card, "[data-field=status]").forEach((el) => {
    el.textContent = STATUS_LABELS[status] || status.charAt(0).toUpperCase() + status.slice(1);
    el.className = "badge " + status;
  });
  const [toggle] = own(card, "[data-action=power]");
  if (toggle) toggle.disabled = status === "offline" || status === "auth_failed";
}
