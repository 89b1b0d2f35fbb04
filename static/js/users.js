// Users (admins): change role, activate/deactivate, delete, create.
import { api, $, $$, showError, busy, formData, flash } from "./api.js";

const table = $("#users-table tbody");
// Each change saves at once here: the rows' "Save" buttons are for when scripts are off.
$$("[data-save]", table).forEach((button) => { button.hidden = true; });

async function update(row, changes, undo) {
  try {
    await api(`/api/users/${row.dataset.userId}`, { method: "PATCH", body: changes });
    flash("Saved.");
  } catch (err) {
    undo();
    flash(err.message, "error");
  }
}

table.addEventListener("change", (event) => {
  const row = event.target.closest("tr");
  if (event.target.dataset.action === "role") {
    const select = event.target;
    const before = [...select.options].find((o) => o.defaultSelected)?.value;
    update(row, { role: select.value }, () => { select.value = before; });
  } else if (event.target.dataset.action === "active") {
    const box = event.target;
    update(row, { is_active: box.checked }, () => { box.checked = !box.checked; });
  }
});

table.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-action=delete]");
  if (!button) return;
  event.preventDefault(); // the row's no-script form would post it too
  const row = button.closest("tr");
  if (!confirm(`Delete ${row.querySelector("strong").textContent}? This cannot be undone.`)) return;
  await busy(button, async () => {
    try {
      await api(`/api/users/${row.dataset.userId}`, { method: "DELETE" });
      row.remove();
      flash("User deleted.");
    } catch (err) { flash(err.message, "error"); }
  });
});

const form = $("#user-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const box = form.querySelector("[data-result]");
  const data = formData(form);
  await busy(form.querySelector("button[type=submit]"), async () => {
    try {
      await api("/api/users", { method: "POST", body: data });
      flash(`${data.username} can now log in.`);
      setTimeout(() => location.reload(), 500);
    } catch (err) { showError(form, err, box); }
  });
});
