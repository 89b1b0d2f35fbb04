// Account: email verification, password change, 2FA setup/disable, sessions.
import { api, $, $$, say, showError, busy, formData, flash, waitOut } from "./api.js";

// -- email verification ----------------------------------------------------------------------
const verify = $("#verify-form");
if (verify) {
  const box = verify.querySelector("[data-result]");
  verify.querySelector("[data-action=send-code]").addEventListener("click", async (event) => {
    event.preventDefault(); // a submit button for the no-script form
    await busy(event.currentTarget, async () => {
      try {
        const answer = await api("/api/security/send-verification-code", { method: "POST" });
        say(box, answer.message || "Code sent. Check your mail.", "success");
        verify.elements.code.focus();
      } catch (err) { say(box, err.message, "error"); }
    });
  });
  verify.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { code } = formData(verify);
    if (!/^\d{6}$/.test(code)) return showError(verify, { field: "code", message: "The code has 6 digits." }, box);
    await busy(verify.querySelector("button[type=submit]"), async () => {
      try {
        await api("/api/security/verify-email", { method: "POST", body: { code } });
        $("#verify-box").innerHTML = '<p><span class="badge ok">Email verified</span></p>';
      } catch (err) { showError(verify, err, box); }
    });
  });
}

// -- password ----------------------------------------------------------------------------------
const password = $("#password-form");
password.addEventListener("submit", async (event) => {
  event.preventDefault();
  const box = password.querySelector("[data-result]");
  const data = formData(password);
  if (!data.currentPassword || !data.newPassword) return say(box, "Fill in your current and new password.", "error");
  if (data.newPassword !== data.newPassword2) return showError(password, { field: "newPassword2", message: "The two new passwords are not the same." }, box);
  await busy(password.querySelector("button[type=submit]"), async () => {
    try {
      const answer = await api("/api/auth/change-password", { method: "POST", body: { currentPassword: data.currentPassword, newPassword: data.newPassword } });
      password.reset();
      say(box, answer.message || "Password changed.", "success");
    } catch (err) {
      if (err.status === 401 && !err.field) err.field = "currentPassword";
      showError(password, err, box);
    }
  });
});

// -- two-factor --------------------------------------------------------------------------------
const tfa = $("#two-factor");
const tfaBox = tfa.querySelector("[data-result]");
function show(state) {
  $$("[data-state]", tfa).forEach((el) => { el.hidden = el.dataset.state !== state; });
}

tfa.querySelector("[data-action=setup-2fa]").addEventListener("click", async (event) => {
  event.preventDefault(); // a submit button for the no-script form
  await busy(event.currentTarget, async () => {
    try {
      const setup = await api("/api/auth/2fa/setup", { method: "POST" });
      tfa.querySelector("[data-field=qr]").src = setup.qr_code;
      tfa.querySelector("[data-field=secret]").textContent = setup.secret;
      tfa.querySelector("[data-field=codes]").replaceChildren(
        ...setup.backup_codes.map((code) => Object.assign(document.createElement("li"), { textContent: code })),
      );
      say(tfaBox, "");
      show("setup");
      $("#tfa-verify-form").elements.token.focus();
    } catch (err) { say(tfaBox, err.message, "error"); }
  });
});

$("#tfa-verify-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const token = form.elements.token.value.trim();
  if (!token) return showError(form, { field: "token", message: "Enter the 6-digit code from your app." }, tfaBox);
  await busy(form.querySelector("button"), async () => {
    try {
      await api("/api/auth/2fa/verify", { method: "POST", body: { token } });
      const status = await api("/api/auth/2fa/status");
      tfa.querySelector("[data-field=remaining]").textContent = status.backup_codes_remaining;
      form.reset();
      show("on");
      say(tfaBox, "Two-factor authentication is on. You'll be asked for a code when you log in.", "success");
    } catch (err) { if (!waitOut(form.querySelector("button"), err, tfaBox)) showError(form, err, tfaBox); }
  });
});

$("#tfa-disable-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const proof = form.elements.proof.value.trim();
  if (!proof) return showError(form, { field: "proof", message: "Enter a code or your password." }, tfaBox);
  const body = /^[0-9]{6}$|^[A-Z0-9]{5}-?[A-Z0-9]{5}$/.test(proof) ? { token: proof } : { password: proof };
  await busy(form.querySelector("button"), async () => {
    try {
      await api("/api/auth/2fa/disable", { method: "POST", body });
      form.reset();
      show("off");
      say(tfaBox, "Two-factor authentication is off.", "success");
    } catch (err) {
      if (!waitOut(form.querySelector("button"), err, tfaBox)) showError(form, { ...err, field: "proof", message: err.message }, tfaBox);
    }
  });
});

// -- sessions ----------------------------------------------------------------------------------
const sessions = $("#sessions-table tbody");
sessions.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-action=revoke]");
  if (!button) return;
  event.preventDefault(); // the row's no-script form would post it too
  const row = button.closest("tr");
  await busy(button, async () => {
    try {
      await api(`/api/auth/sessions/${row.dataset.sessionId}`, { method: "DELETE" });
      row.remove();
      flash("That session is logged out.");
    } catch (err) { flash(err.message, "error"); }
  });
});

$("[data-action=revoke-others]").addEventListener("click", async (event) => {
  event.preventDefault(); // a submit button for the no-script form
  if (!confirm("Log out every other browser and device?")) return;
  const sessionId = event.currentTarget.dataset.sessionId; // this page's own session is kept
  await busy(event.currentTarget, async () => {
    try {
      const answer = await api("/api/security/sessions/revoke-others", { method: "POST", body: { sessionId } });
      $$("tr", sessions).filter((tr) => tr.querySelector("[data-action=revoke]")).forEach((tr) => tr.remove());
      flash(`${answer.sessions_terminated ?? "All"} other session(s) logged out.`);
    } catch (err) { flash(err.message, "error"); }
  });
});
