// A reply stays in the correspondent's thread: In-Reply-To, References and one "Re:".
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { replyHeaders, replySubject } from "../../../src/channels/email/threading.ts";

describe("reply threading", () => {
  it("adds one Re: whatever prefixes the subject already has", () => {
    assert.equal(replySubject("Lunch"), "Re: Lunch");
    assert.equal(replySubject("RE: Re: AW: Lunch"), "Re: Lunch");
    assert.equal(replySubject("Re[2]: Lunch"), "Re: Lunch");
    assert.equal(replySubject("Reunion plans"), "Re: Reunion plans");
    assert.equal(replySubject(undefined), "Re: your message");
  });

  it("answers the mail and extends its references", () => {
    assert.deepEqual(
      replyHeaders({ messageId: "<c@x>", references: "<a@x>  <b@x>", subject: "Lunch" }),
      { subject: "Re: Lunch", inReplyTo: "<c@x>", references: ["<a@x>", "<b@x>", "<c@x>"] },
    );
    assert.deepEqual(
      replyHeaders({ messageId: "<c@x>", references: ["<a@x>", "<c@x>"] }).references,
      ["<a@x>", "<c@x>"],
    );
    assert.deepEqual(replyHeaders({ subject: "x" }), { subject: "Re: x" });
  });

  it("keeps the first and latest references of a long thread", () => {
    const references = Array.from({ length: 30 }, (_, i) => `<m${i}@x>`);
    const headers = replyHeaders({ messageId: "<last@x>", references });
    assert.equal(headers.references?.length, 20);
    assert.equal(headers.references?.[0], "<m0@x>");
    assert.equal(headers.references?.at(-1), "<last@x>");
  });
});
