// Logs in with the admin token and goes back to the page that asked for it.
/* global location, URLSearchParams */

function nextPage() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  // Only a path on this site: never an open redirect.
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

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
    location.assign(nextPage());
    return;
  }
  const data = await response.json().catch(() => ({}));
  error.textContent = data.error || "login failed (" + response.status + ")";
});
