// Shared by every admin page: API calls with the CSRF header, forms and buttons that
// write through the JSON API, and logging out. Pages are rendered by the server; after a
// successful write the page reloads to show the new state.
/* global location, FormData, Blob, CustomEvent, HTMLFormElement, Element */

export function csrfToken() {
  const meta = document.querySelector('meta[name="pincer-csrf"]');
  return meta ? meta.getAttribute("content") : "";
}

/** A time as the server renders them: in the service's time zone. */
export function formatTime(ms) {
  if (!ms) return "—";
  return new Date(ms).toLocaleString("en-GB", {
    timeZone: document.body.dataset.timeZone || undefined,
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

function toLogin() {
  location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
}

/** Calls the API; resolves to { ok, status, data } and sends the browser to log in on 401. */
export async function api(path, options = {}) {
  const headers = { "x-pincer-csrf": csrfToken() };
  let body = options.body;
  // A file (a skill archive) is sent as it is, as the body itself.
  if (body instanceof Blob) headers["content-type"] = "application/octet-stream";
  else if (body !== undefined && !(body instanceof FormData)) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(body);
  }
  const response = await fetch(path, {
    method: options.method || "GET",
    headers,
    body,
    credentials: "same-origin",
  });
  if (response.status === 401) {
    toLogin();
    throw new Error("login required");
  }
  const data = (response.headers.get("content-type") || "").includes("application/json")
    ? await response.json()
    : undefined;
  return { ok: response.ok, status: response.status, data };
}

/** A form's fields as the JSON body its API route expects (see data-type on the fields). */
function formBody(form) {
  const body = {};
  for (const field of form.elements) {
    if (!field.name || field.disabled) continue;
    const type = field.dataset.type;
    if (field.type === "checkbox") body[field.name] = field.checked;
    else if (type === "lines") {
      const lines = field.value
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean);
      body[field.name] = lines.length ? lines : null;
    } else if (type === "number") {
      if (field.value.trim() === "") body[field.name] = null;
      else body[field.name] = Number(field.value);
    } else if (type === "nullable") {
      // Empty means "back to the default", which the API spells null.
      body[field.name] = field.value.trim() === "" ? null : field.value.trim();
    } else if (field.value === "" && field.dataset.optional !== undefined) continue;
    else body[field.name] = field.value;
  }
  return body;
}

function showError(container, message) {
  const target = container.querySelector(".form-error") || document.getElementById("page-error");
  if (target) {
    target.textContent = message;
    target.focus?.();
  }
}

async function submit(element, method, path, body) {
  if (element.dataset.confirm && !window.confirm(element.dataset.confirm)) return;
  element.setAttribute("aria-busy", "true");
  try {
    const { ok, data } = await api(path, { method, body });
    if (!ok) {
      showError(
        element.closest("form, section, li, tr") || document,
        (data && data.error) || "failed",
      );
      return;
    }
    element.dispatchEvent(new CustomEvent("api-done", { bubbles: true, detail: data }));
    if (element.dataset.then !== "stay") location.reload();
  } finally {
    element.removeAttribute("aria-busy");
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.dataset.api === undefined) return;
  event.preventDefault();
  const error = form.querySelector(".form-error");
  if (error) error.textContent = "";
  submit(form, form.dataset.method || "POST", form.getAttribute("action"), formBody(form));
});

document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("button[data-api]") : null;
  if (!button) return;
  submit(button, button.dataset.method || "POST", button.dataset.api, undefined);
});

document.getElementById("logout")?.addEventListener("click", async () => {
  await api("/api/logout", { method: "POST" }).catch(() => undefined);
  location.assign("/login");
});
