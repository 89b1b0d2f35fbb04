// Forgot password (send the mail) and reset password (the link from the mail).
import { api, $, say, showError, busy, formData } from "./api.js";

const forgot = $("#forgot-form");
if (forgot) {
  forgot.addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = $("#forgot-result");
    const { email } = formData(forgot);
    if (!email) return say(box, "Enter the email address of your account.", "error");
    await busy(forgot.querySelector("button[type=submit]"), async () => {
      try {
        const answer = await api("/api/auth/forgot-password", { method: "POST", body: { email } });
        say(box, answer.message || "If an account exists with this email, a reset link is on its way.", "success");
      } catch (err) {
        showError(forgot, err, box);
      }
    });
  });
}

const reset = $("#reset-form");
if (reset) {
  reset.addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = $("#reset-result");
    const { password, password2 } = formData(reset);
    if (password !== password2) {
      return showError(reset, { field: "password2", message: "The two passwords are not the same." }, box);
    }
    await busy(reset.querySelector("button[type=submit]"), async () => {
      try {
        const body = { token: reset.dataset.token, newPassword: password };
        const answer = await api("/api/auth/reset-password", { method: "POST", body });
        reset.replaceChildren();
        const note = document.createElement("p");
        note.className = "message success";
        note.append(answer.message + " ");
        const link = document.createElement("a");
        link.href = "/login";
        link.textContent = "Log in";
        note.append(link);
        reset.append(note);
      } catch (err) {
        if (err.field === "newPassword") err.field = "password";
        showError(reset, err, box);
      }
    });
  });
}
