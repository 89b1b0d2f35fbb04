// Backups (admins): create with progress, restore with confirmation, delete, schedules.
import { api, $, $$, say, showError, busy, formData, flash } from "./api.js";

const form = $("#backup-form");
const progress = $("#backup-progress");

async function follow(jobId) {
  progress.hidden = false;
  const bar = progress.querySelector("progress");
  const stage = progress.querySelector("[data-stage]");
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 700));
    let job;
    try { job = await api(`/api/backups/progress?job_id=${jobId}`); } catch { continue; }
    bar.value = job.progress || 0;
    stage.textContent = `${job.progress || 0}% ${job.stage || job.status}`;
    if (job.status === "completed") {
      flash(`Backup ${job.filename} is ready.`);
      return setTimeout(() => location.reload(), 800);
    }
    if (job.status === "failed") return say(form.querySelector("[data-result]"), `The backup failed: ${job.error}`, "error");
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = formData(form);
  const body = { type: "manual", include_logs: !!data.include_logs, include_exports: !!data.include_exports, compression: data.compression };
  if (data.password) body.password = data.password;
  await busy(form.querySelector("button[type=submit]"), async () => {
    try {
      const job = await api("/api/backups/create", { method: "POST", body });
      follow(job.job_id);
    } catch (err) { showError(form, err, form.querySelector("[data-result]")); }
  });
});

// -- restore: always through the confirmation dialog --------------------------------------------
const dialog = $("#restore-dialog");
// Its form posts without this script; here the answer goes back to confirmRestore().
dialog.querySelector("form").addEventListener("submit", (event) => {
  if (event.submitter?.value !== "restore") return;
  event.preventDefault();
  dialog.close("restore");
});

function confirmRestore(name, encrypted) {
  const f = dialog.querySelector("form");
  f.reset();
  dialog.querySelector("[data-field=name]").textContent = name;
  dialog.querySelector("[data-password]").hidden = !encrypted;
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const ok = dialog.returnValue === "restore" && f.elements.confirm.value.trim().toUpperCase() === "RESTORE";
      if (dialog.returnValue === "restore" && !ok) flash("Not restored: type RESTORE to confirm.", "error");
      resolve(ok ? { restore_database: f.elements.restore_database.checked, restore_config: f.elements.restore_config.checked, password: f.elements.password.value } : null);
    }, { once: true });
  });
}

async function restore(payload, choice) {
  payload.append("options", JSON.stringify({ restore_database: choice.restore_database, restore_config: choice.restore_config }));
  if (choice.password) payload.append("password", choice.password);
  flash("Restoring… do not close this page.", "warn");
  try {
    const answer = await api("/api/backups/restore", { method: "POST", form: payload });
    flash(`${answer.message} A safety copy of the previous state: ${answer.safety_backup || "—"}.`);
  } catch (err) { flash(`Restore failed: ${err.message}`, "error"); }
}

const table = $("#backups-table tbody");
if (table) {
  table.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    event.preventDefault(); // the row's no-script form would post it too
    const row = button.closest("tr");
    const name = row.dataset.filename;
    if (button.dataset.action === "delete") {
      if (!confirm(`Delete ${name}? This cannot be undone.`)) return;
      try {
        await api(`/api/backups/${encodeURIComponent(name)}`, { method: "DELETE" });
        row.remove();
        flash("Backup deleted.");
      } catch (err) { flash(err.message, "error"); }
    } else if (button.dataset.action === "restore") {
      const choice = await confirmRestore(name, row.dataset.encrypted === "1");
      if (!choice) return;
      const payload = new FormData();
      payload.append("filename", name);
      await busy(button, () => restore(payload, choice));
    }
  });
}

// With this script, restoring asks in the dialog: the form's own confirmation box and stored
// backup picker (for when scripts are off) step aside, and each row gets its Restore button.
$$("[data-action=restore]").forEach((button) => { button.hidden = false; });
const upload = $("#upload-form");
upload.querySelector("[data-confirm]").hidden = true;
upload.elements.filename.closest("label").hidden = true;
upload.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = upload.elements.file.files[0];
  if (!file) return showError(upload, { field: "file", message: "Choose a backup file first." }, upload.querySelector("[data-result]"));
  const choice = await confirmRestore(file.name, false);
  if (!choice) return;
  if (!choice.password) choice.password = upload.elements.password.value;
  const payload = new FormData();
  payload.append("file", file);
  await busy(upload.querySelector("button"), () => restore(payload, choice));
});

// -- schedules ------------------------------------------------------------------------------------
const schedules = $("#schedules-table tbody");
if (schedules) {
  // Each change saves at once here: the rows' "Save" buttons are for when scripts are off.
  $$("[data-save]", schedules).forEach((button) => { button.hidden = true; });
  schedules.addEventListener("change", async (event) => {
    if (event.target.dataset.action !== "toggle") return;
    const row = event.target.closest("tr");
    try {
      await api(`/api/backups/schedules/${row.dataset.scheduleId}`, { method: "PUT", body: { enabled: event.target.checked } });
      flash("Schedule saved.");
    } catch (err) { event.target.checked = !event.target.checked; flash(err.message, "error"); }
  });
  schedules.addEventListener("click", async (event) => {
    if (event.target.dataset.action !== "delete-schedule") return;
    event.preventDefault(); // the row's no-script form would post it too
    const row = event.target.closest("tr");
    if (!confirm("Delete this schedule?")) return;
    try {
      await api(`/api/backups/schedules/${row.dataset.scheduleId}`, { method: "DELETE" });
      row.remove();
    } catch (err) { flash(err.message, "error"); }
  });
}

const scheduleForm = $("#schedule-form");
scheduleForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = formData(scheduleForm);
  const body = { name: data.name, cron: data.cron, enabled: true, retention_days: Number(data.retention_days), keep_last: Number(data.keep_last), options: { include_logs: !!data["options.include_logs"] } };
  await busy(scheduleForm.querySelector("button[type=submit]"), async () => {
    try {
      await api("/api/backups/schedules", { method: "POST", body });
      location.reload();
    } catch (err) { showError(scheduleForm, err, scheduleForm.querySelector("[data-result]")); }
  });
});
