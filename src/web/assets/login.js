// Logs in with the admin token and goes back to the page that asked for it.
/* global location, URLSearchParams */
import { nextPage } from "./next-page.js";

document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("login-error");
  error.textContent = "";
  const response = await fetch("/api/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: document.getElementById("token").value }),
  });
  if (response.ok) {
    location.assign(nextPage(new URLSearchParams(location.search).get("next"), location.origin));
    return;
  }
  const data = await response.json().catch(() => ({}));
  error.textContent = data.error || "login failed (" + response.status + ")";
});
