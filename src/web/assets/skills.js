// The skills page's upload: the chosen .tar.gz goes to POST /api/skills as the request body
// itself (the service checks it as it streams in), with the group and folder in the query.
import { api } from "./app.js";
/* global location, URLSearchParams */

const form = document.getElementById("skill-upload");

form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = form.querySelector(".form-error");
  error.textContent = "";
  const file = form.elements.file.files[0];
  if (!file) return;
  const query = new URLSearchParams({ fileName: file.name });
  if (form.elements.subpath.value.trim()) query.set("subpath", form.elements.subpath.value.trim());
  if (form.elements.group.value) query.set("group", form.elements.group.value);
  form.setAttribute("aria-busy", "true");
  try {
    const { ok, data } = await api("/api/skills?" + query, { method: "POST", body: file });
    if (!ok) {
      error.textContent = (data && data.error) || "the upload failed";
      error.focus?.();
      return;
    }
    location.reload();
  } finally {
    form.removeAttribute("aria-busy");
  }
});
