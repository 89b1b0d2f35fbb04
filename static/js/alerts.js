// Alerts: acknowledge one or all, delete (admins).
import { api, $, busy, flash } from "./api.js";

const table = $("#alerts-table tbody");
if (table) {
  table.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    event.preventDefault(); // the row's no-script form would post it too
    const row = button.closest("tr");
    const id = row.dataset.alertId;
    if (button.dataset.action === "delete" && !confirm("Delete this alert?")) return;
    await busy(button, async () => {
      try {
        if (button.dataset.action === "ack") {
          await api(`/api/alerts/${id}/acknowledge`, { method: "POST", body: {} });
          row.querySelector("[data-cell=state]").textContent = "Acknowledged";
          button.closest("form").remove();
        } else {
          await api(`/api/alerts/${id}`, { method: "DELETE" });
          row.remove();
        }
      } catch (err) { flash(err.message, "error"); }
    });
  });
}

const all = $("[data-action=ack-all]");
if (all) {
  all.addEventListener("click", async (event) => {
    event.preventDefault(); // a submit button for the no-script form
    await busy(all, async () => {
      try {
        await api("/api/alerts/acknowledge-all", { method: "POST", body: {} });
        location.reload();
      } catch (err) { flash(err.message, "error"); }
    });
  });
}
