// On every signed-in page: the log-out button.
import { api, markLeaving, $$ } from "./api.js";

for (const button of $$("[data-action=logout]")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    markLeaving();
    try {
      await api("/api/auth/logout", { method: "POST", retry: false });
    } catch {
      // Already logged out or the session ended: the login page is the right place anyway.
    }
    location.assign("/login");
  });
}
