// Log in: password step, then (for 2FA accounts) the code step. Cookies carry the session.
import { api, $, say, showError, busy, formData, refreshSession, waitOut, waitText } from "./api.js";

const loginForm = $("#login-form");
const otpForm = $("#otp-form");
const next = loginForm.dataset.next || "/";
// The challenge travels in the code form's hidden field (the no-script login fills it too).
const challengeField = otpForm.elements.challenge_token;

function done() {
  location.assign(next);
}

// Sent here from a page whose access cookie expired: a still-valid refresh cookie is enough.
// Rate limited (429) is not logged out: say how long, then try once more by itself.
async function resume() {
  const refreshed = await refreshSession();
  if (refreshed.ok) return done();
  if (refreshed.status !== 429) return;
  say($("#login-error"), `Too many requests: your session is still open. Continuing by itself in ${waitText(refreshed.wait)}, or log in again.`, "error");
  setTimeout(resume, Math.max(refreshed.wait, 1) * 1000);
}

if (new URLSearchParams(location.search).has("next")) resume();

loginForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const box = $("#login-error");
  const { username, password } = formData(loginForm);
  if (!username || !password) {
    say(box, "Enter your username (or email) and password.", "error");
    return;
  }
  await busy(loginForm.querySelector("button[type=submit]"), async () => {
    try {
      const answer = await api("/api/auth/login", { method: "POST", body: { username, password } });
      if (answer && answer.requires_2fa) {
        challengeField.value = answer.challenge_token;
        loginForm.hidden = true;
        otpForm.hidden = false;
        otpForm.elements.code.focus();
        return;
      }
      done();
    } catch (err) {
      if (!waitOut(loginForm.querySelector("button[type=submit]"), err, box)) showError(loginForm, err, box);
    }
  });
});

otpForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const box = $("#otp-error");
  const code = otpForm.elements.code.value.trim();
  if (!code) {
    say(box, "Enter the code from your authenticator app.", "error");
    return;
  }
  await busy(otpForm.querySelector("button[type=submit]"), async () => {
    try {
      await api("/api/auth/login/2fa", { method: "POST", body: { challenge_token: challengeField.value, code } });
      done();
    } catch (err) {
      if (err.body.error_code === "INVALID_2FA_CHALLENGE") restart(err.message);
      else if (!waitOut(otpForm.querySelector("button[type=submit]"), err, box)) showError(otpForm, err, box);
    }
  });
});

function restart(message = "") {
  otpForm.reset();
  challengeField.value = "";
  otpForm.hidden = true;
  loginForm.hidden = false;
  say($("#login-error"), message, "error");
  loginForm.elements.password.value = "";
  loginForm.elements.username.focus();
}

otpForm.querySelector("[data-action=restart]").addEventListener("click", (event) => {
  event.preventDefault();
  restart();
});
