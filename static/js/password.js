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

// The reset form posts to the page itself: the mailed token waits there in an HTTP-only
// cookie (never in the address bar), so the script only checks the two passwords first.
const reset = $("#reset-form");
if (reset) {
  reset.addEventListener("submit", (event) => {
    const { password, password2 } = formData(reset);
    if (password !== password2) {
      event.preventDefault();
      showError(reset, { field: "password2", message: "The two passwords are not the same." }, $("#reset-result"));
    }
  });
}
