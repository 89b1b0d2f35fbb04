// On every signed-in page: the log-out form (it works without this script too).
import { api, markLeaving, $ } from "./api.js";

const form = $("#logout-form");
form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  form.querySelector("button").disabled = true;
  markLeaving();
  try {
    await api("/api/auth/logout", { method: "POST", retry: false });
  } catch {
    // Already logged out or the session ended: the login page is the right place anyway.
  }
  location.assign("/login");
});
