// On/off switches: POST /api/device/{id}/control, then show what the device reports.
import { api, flash } from "./api.js";
import { applyUpdate } from "./live.js";

export function bindSwitches(root = document) {
  // Without this script each device has a form with a "Turn on/off" button; with it, a switch.
  for (const form of root.querySelectorAll(".power-form")) {
    form.querySelector(".switch-label").hidden = false;
    form.querySelector("[data-fallback]").hidden = true;
    form.addEventListener("submit", (event) => event.preventDefault());
  }
  root.addEventListener("change", async (event) => {
    const toggle = event.target.closest("[data-action=power]");
    if (!toggle) return;
    const card = toggle.closest(".device-card");
    const wanted = toggle.checked;
    if (toggle.dataset.pending) { toggle.checked = !wanted; return; } // one switch at a time
    // Busy, not disabled: a disabled control would lose the keyboard focus.
    toggle.dataset.pending = "1";
    toggle.setAttribute("aria-busy", "true");
    try {
      const device = await api(`/api/device/${card.dataset.deviceId}/control`, {
        method: "POST",
        body: { action: wanted ? "on" : "off" },
      });
      applyUpdate(card, { is_on: device.is_on ?? wanted, current_power_w: device.current_power_w });
      flash(`${device.name || "Device"} is ${wanted ? "on" : "off"}.`);
    } catch (err) {
      toggle.checked = !wanted;
      flash(`Couldn't switch it ${wanted ? "on" : "off"}: ${err.message}`, "error");
    } finally {
      delete toggle.dataset.pending;
      toggle.removeAttribute("aria-busy");
      toggle.disabled = card.dataset.status === "offline";
    }
  });
}
