// Skills the owner installed (from git, pinned at a commit, or uploaded), the requests the
// main chat's agent filed, and the forms to add one from a repository or an archive.
import type { Group } from "../../store/groups.ts";
import type { SkillRequest } from "../../store/skill-requests.ts";
import type { InstalledSkill } from "../../skills/skills.ts";
import { html, type Html } from "./html.ts";
import { formatTime, layout, type PageContext } from "./layout.ts";

function sourceOf(skill: InstalledSkill): Html {
  const { source } = skill;
  const where = source.subpath ? html` · <code>${source.subpath}</code>` : "";
  if (source.type === "archive")
    return html`uploaded ${source.fileName ?? "archive"}${where}
      <div class="hint">sha256 ${skill.sha256.slice(0, 12)}</div>`;
  return html`<code class="wrap">${source.url}</code
    >${source.ref ? html` @ ${source.ref}` : ""}${where}
    <div class="hint">pinned at <code>${(skill.commit ?? "").slice(0, 12)}</code></div>`;
}

function skillRow(skill: InstalledSkill, timeZone: string): Html {
  return html`<tr>
    <th scope="row">
      ${skill.name}
      <div class="hint wrap">${skill.description}</div>
    </th>
    <td>${skill.group ?? "every group"}</td>
    <td>${sourceOf(skill)}</td>
    <td>${formatTime(skill.updatedAt, timeZone)}</td>
    <td>
      ${
        skill.source.type === "git"
          ? html`<button
              type="button"
              data-api="/api/skills/${skill.name}/update"
              data-confirm="Fetch ${skill.name} again and move its pin to the newest commit?"
            >
              Update
            </button>`
          : ""
      }
      <button
        type="button"
        class="danger"
        data-api="/api/skills/${skill.name}"
        data-method="DELETE"
        data-confirm="Remove ${skill.name}? Agents lose it when they next start."
      >
        Remove
      </button>
      <p class="form-error error" role="alert"></p>
    </td>
  </tr>`;
}

function requestCard(request: SkillRequest, timeZone: string): Html {
  return html`<section class="card" aria-labelledby="request-${request.id}">
    <h3 id="request-${request.id}">Request #${request.id}</h3>
    <p><span class="wrap">${request.reason}</span></p>
    <dl>
      <dt>Repository</dt>
      <dd><code class="wrap">${request.url}</code>${request.ref ? html` @ ${request.ref}` : ""}</dd>
      <dt>Folder</dt>
      <dd>${request.subpath ?? "(top)"}</dd>
      <dt>For</dt>
      <dd>${request.target ?? "every group"}</dd>
      <dt>Asked</dt>
      <dd>${formatTime(request.createdAt, timeZone)}</dd>
    </dl>
    <button type="button" data-api="/api/skills/requests/${request.id}/approve">
      Approve and install
    </button>
    <button type="button" class="secondary" data-api="/api/skills/requests/${request.id}/reject">
      Reject
    </button>
    <p class="form-error error" role="alert"></p>
  </section>`;
}

function groupSelect(id: string, groups: Group[]): Html {
  return html`<div class="field">
    <label for="${id}">For</label>
    <select id="${id}" name="group" data-optional>
      <option value="">every group</option>
      ${groups.map((group) => html`<option value="${group.folder}">${group.name} (${group.folder})</option>`)}
    </select>
  </div>`;
}

export function skillsPage(
  context: PageContext,
  data: { skills: InstalledSkill[]; requests: SkillRequest[]; groups: Group[] },
): string {
  const { timeZone } = context;
  const body = html` <h1>Skills</h1>
    <p id="page-error" class="error" role="alert" tabindex="-1"></p>
    <p class="hint">
      A skill is a folder with a SKILL.md that tells the assistant how to do something. Installed
      skills reach a group's agent, next to the ones that come with Pincer, when it next starts.
    </p>
    ${
      data.requests.length > 0
        ? html`<h2>Waiting for you</h2>
            ${data.requests.map((request) => requestCard(request, timeZone))}`
        : ""
    }
    <section class="card" aria-labelledby="installed-title">
      <h2 id="installed-title">Installed</h2>
      ${
        data.skills.length === 0
          ? html`<p class="hint">No skills installed yet.</p>`
          : html`<div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Skill</th>
                    <th scope="col">For</th>
                    <th scope="col">Source</th>
                    <th scope="col">Updated</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.skills.map((skill) => skillRow(skill, timeZone))}
                </tbody>
              </table>
            </div>`
      }
    </section>
    <section class="card" aria-labelledby="git-title">
      <h2 id="git-title">Add from a git repository</h2>
      <form data-api action="/api/skills">
        <div class="field">
          <label for="skill-url">Repository URL</label>
          <input
            id="skill-url"
            name="url"
            required
            maxlength="2000"
            placeholder="https://github.com/owner/skills.git"
          />
        </div>
        <div class="field">
          <label for="skill-ref">Branch, tag or commit</label>
          <input
            id="skill-ref"
            name="ref"
            data-optional
            maxlength="200"
            placeholder="default branch"
          />
        </div>
        <div class="field">
          <label for="skill-subpath">Folder in the repository</label>
          <input
            id="skill-subpath"
            name="subpath"
            data-optional
            maxlength="500"
            placeholder="skills/pdf (empty: the top)"
          />
        </div>
        ${groupSelect("skill-group", data.groups)}
        <button type="submit">Install</button>
        <p class="form-error error" role="alert"></p>
      </form>
    </section>
    <section class="card" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload an archive</h2>
      <form id="skill-upload">
        <div class="field">
          <label for="skill-file">Skill folder as .tar.gz (up to 20 MB)</label>
          <input id="skill-file" name="file" type="file" accept=".tar.gz,.tgz,.tar" required />
        </div>
        <div class="field">
          <label for="upload-subpath">Folder in the archive</label>
          <input
            id="upload-subpath"
            name="subpath"
            maxlength="500"
            placeholder="empty: the top, or its one folder"
          />
        </div>
        ${groupSelect("upload-group", data.groups)}
        <button type="submit">Upload and install</button>
        <p class="form-error error" role="alert"></p>
      </form>
    </section>`;
  return layout({ title: "Skills", path: "/skills", context, body, scripts: ["skills.js"] });
}
