// First run: create the administrator, then log in with the same credentials.
import { api, $, say, showError, busy, formData } from "./api.js";

const form = $("#setup-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const box = $("#setup-error");
  const data = formData(form);
  if (!data.username || !data.email || !data.password) {
    say(box, "Username, email and password are all needed.", "error");
    return;
  }
  if (data.password !== data.password2) {
    showError(form, { field: "password2", message: "The two passwords are not the same." }, box);
    return;
  }
  delete data.password2;
  await busy(form.querySelector("button[type=submit]"), async () => {
    try {
      await api("/api/auth/setup", { method: "POST", body: data });
      await api("/api/auth/login", { method: "POST", body: { username: data.username, password: data.password } });
      location.assign("/");
    } catch (err) {
      showError(form, err, box);
    }
  });
});
