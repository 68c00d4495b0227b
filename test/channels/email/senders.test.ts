// Which chat a mail lands in: a forged From: never reaches the owner's (or any registered) chat.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  judgeSender,
  parseAuthenticationResults,
  providerVouches,
} from "../../../src/channels/email/senders.ts";

const policy = {
  owners: ["Owner@Example.com", "owner.work@corp.example"],
  trustUnauthenticated: false,
};
const gmailPass =
  "mx.google.com; dkim=pass header.i=@example.com header.s=s1 header.b=abc; spf=pass (google.com: domain of owner@example.com designates 1.2.3.4 as permitted sender) smtp.mailfrom=owner@example.com; dmarc=pass (p=NONE) header.from=example.com";

describe("mail senders", () => {
  it("parses Authentication-Results", () => {
    assert.deepEqual(
      parseAuthenticationResults(
        "mx.example; dkim=pass header.d=example.com; spf=fail smtp.mailfrom=a@b.c",
      ).map((r) => [r.method, r.result, r.properties]),
      [
        ["dkim", "pass", { "header.d": "example.com" }],
        ["spf", "fail", { "smtp.mailfrom": "a@b.c" }],
      ],
    );
  });

  it("puts every owner address, verified, in the owner's chat", () => {
    assert.deepEqual(judgeSender("owner@example.com", [gmailPass], policy), {
      chatId: "owner@example.com",
      verified: true,
    });
    const work = "mx.corp; dkim=pass header.d=mail.corp.example";
    assert.deepEqual(judgeSender("Owner.Work@corp.example", [work], policy), {
      chatId: "owner@example.com",
      verified: true,
    });
  });

  it("gives anyone else their own chat, which the core answers only once registered", () => {
    const bea = "mx.google.com; dmarc=pass header.from=bea.example";
    assert.deepEqual(judgeSender("bea@bea.example", [bea], policy), {
      chatId: "bea@bea.example",
      verified: true,
    });
  });

  it("sends a forged or unauthenticated From: to an unverified chat", () => {
    const forged = judgeSender(
      "owner@example.com",
      [
        "mx.google.com; dkim=pass header.d=attacker.example; spf=softfail smtp.mailfrom=x@attacker.example; dmarc=fail header.from=example.com",
      ],
      policy,
    );
    assert.equal(forged.chatId, "unverified:owner@example.com");
    assert.equal(forged.verified, false);
    assert.match(forged.reason ?? "", /could not confirm/);
    // A pass the sender wrote lower in the header does not count: only the topmost is the provider's.
    const planted = judgeSender(
      "owner@example.com",
      ["mx.google.com; dmarc=fail header.from=example.com", gmailPass],
      policy,
    );
    assert.equal(planted.verified, false);
    const none = judgeSender("owner@example.com", [], policy);
    assert.equal(none.chatId, "unverified:owner@example.com");
    assert.match(none.reason ?? "", /EMAIL_TRUST_UNSIGNED/);
    assert.equal(
      judgeSender("owner@example.com", [], { ...policy, trustUnauthenticated: true }).verified,
      true,
    );
  });

  it("does not align a DKIM signature of a parent domain", () => {
    assert.equal(providerVouches(["mx; dkim=pass header.d=co.uk"], "victim@victim.co.uk"), false);
    assert.equal(
      providerVouches(["mx; dkim=pass header.d=mail.victim.co.uk"], "victim@victim.co.uk"),
      true,
    );
  });
});
