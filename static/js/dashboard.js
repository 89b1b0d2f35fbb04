// Dashboard: live power over the WebSocket, on/off switches, discovery and manual adds.
import { api, $, $$, say, showError, busy, formData, fmt } from "./api.js";
import { connectLive, showLiveState, cardsFor, applyUpdate, applyStatus } from "./live.js";
import { bindSwitches } from "./power.js";
import { drawInsights } from "./insights.js";

function updateTotals() {
  const total = $("#total-power");
  if (total) {
    // Strips are the sum of their outlets, which have cards of their own.
    const cards = $$(".device-card").filter((c) => c.dataset.strip !== "1");
    const watts = cards.map((c) => parseFloat(c.dataset.power)).filter((w) => !Number.isNaN(w));
    total.textContent = watts.length ? fmt.watts(watts.reduce((a, b) => a + b, 0)) : "—";
  }
  const online = $("#online-count");
  if (online) online.textContent = $$(".device-card[data-status=online]").length;
}

connectLive({
  onState: showLiveState,
  onUpdate(message) {
    cardsFor(message).forEach((card) => applyUpdate(card, message.data));
    updateTotals();
  },
  onStatus(message) {
    cardsFor(message).forEach((card) => applyStatus(card, message.status));
    updateTotals();
  },
});
bindSwitches($("#devices") || document);
drawInsights();

// The TP-Link account fields (KLAP/AES devices): shown once a device asks for them.
function askAccount(form) {
  const fields = form.querySelector("[data-account]");
  if (fields) fields.open = true;
}

function account(form) {
  const data = formData(form);
  return data.username ? { username: data.username, password: data.password || "" } : {};
}

const discover = $("#discover-form");
if (discover) {
  discover.addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = discover.querySelector("[data-result]");
    say(box, "Looking for devices…");
    await busy(discover.querySelector("button"), async () => {
      try {
        const answer = await api("/api/discover", { method: "POST", body: account(discover) });
        const locked = answer.needs_credentials || [];
        if (locked.length) {
          askAccount(discover);
          const which = locked.map((d) => `${d.model || "a device"} at ${d.ip}`).join(", ");
          const why = locked.some((d) => d.reason === "credentials_rejected") ? "refused the TP-Link account given" : "need your TP-Link account";
          return say(box, `Found ${answer.discovered} device(s); ${which} ${why}. Enter the Kasa/Tapo app's e-mail and password and discover again.`, "error");
        }
        if (!answer.discovered) return say(box, "No new devices answered. Check they are powered and on this network, or add one by IP.", "error");
        say(box, `Found ${answer.discovered} device(s). Reloading…`, "success");
        setTimeout(() => location.reload(), 800);
      } catch (err) {
        say(box, err.message, "error");
      }
    });
  });
}

const manual = $("#manual-form");
if (manual) {
  manual.addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = manual.querySelector("[data-result]");
    const data = formData(manual);
    if (!data.ip) return showError(manual, { field: "ip", message: "Enter the device's IP address." }, box);
    if (!data.alias) delete data.alias;
    if (!data.username) { delete data.username; delete data.password; }
    say(box, "Contacting the device…");
    await busy(manual.querySelector("button"), async () => {
      try {
        const device = await api("/api/devices/manual", { method: "POST", body: data });
        say(box, `Added ${device.name || device.alias || data.ip}. Reloading…`, "success");
        setTimeout(() => location.reload(), 600);
      } catch (err) {
        if (["credentials_required", "credentials_rejected"].includes(err.body.reason)) askAccount(manual);
        showError(manual, err, box);
      }
    });
  });
}

$$(".device-card").forEach((card) => {
  const power = card.querySelector("[data-field=power]");
  const value = power ? parseFloat(power.textContent.replace(/,/g, "")) : NaN;
  card.dataset.power = Number.isNaN(value) ? "" : value;
});
