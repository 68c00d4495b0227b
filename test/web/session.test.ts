// Signed session cookies and the CSRF token derived from them.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  csrfToken,
  issueSession,
  SESSION_MAX_AGE_SECONDS,
  verifySession,
} from "../../src/web/session.ts";

const KEY = "admin-token-for-tests-0123456789";

describe("session", () => {
  it("verifies a cookie it issued and refuses a tampered one", () => {
    const cookie = issueSession(KEY, 1_000);
    const session = verifySession(KEY, cookie, 2_000);
    assert.ok(session);
    assert.equal(session.issuedAt, 1_000);
    const parts = cookie.split(".");
    const tampered = [parts[0], (5_000).toString(36), parts[2], parts[3]].join(".");
    assert.equal(verifySession(KEY, tampered, 6_000), undefined);
    assert.equal(verifySession(KEY, `${cookie}x`, 2_000), undefined);
    assert.equal(verifySession(KEY, "v1.garbage", 2_000), undefined);
  });

  it("ends every session when the token changes, and after the maximum age", () => {
    const cookie = issueSession(KEY, 1_000);
    assert.equal(verifySession(`${KEY}-rotated`, cookie, 2_000), undefined);
    assert.equal(verifySession(KEY, cookie, 1_000 + SESSION_MAX_AGE_SECONDS * 1000 + 1), undefined);
  });

  it("gives each session its own CSRF token", () => {
    const first = verifySession(KEY, issueSession(KEY, 1), 2)!;
    const second = verifySession(KEY, issueSession(KEY, 1), 2)!;
    assert.notEqual(csrfToken(KEY, first), csrfToken(KEY, second));
    assert.equal(csrfToken(KEY, first), csrfToken(KEY, { ...first }));
    assert.notEqual(csrfToken(KEY, first), csrfToken(`${KEY}-rotated`, first));
  });
});
