// What the bot posts in a Matrix room: text with its HTML, an m.replace edit, a file with or
// without a caption, a reaction.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  editContent,
  fileContent,
  reactionContent,
  textContent,
} from "../../../src/channels/matrix/outbound.ts";

test("a reply is a plain body with its rendered HTML; an edit replaces the event it names", () => {
  const content = textContent("**hi** there");
  assert.equal(content.msgtype, "m.text");
  assert.equal(content.body, "hi there");
  assert.equal(content.format, "org.matrix.custom.html");
  assert.match(content.formatted_body, /<b>hi<\/b> there|<strong>hi<\/strong> there/);
  assert.deepEqual(editContent(content, "$old"), {
    ...content,
    body: "* hi there",
    "m.new_content": content,
    "m.relates_to": { rel_type: "m.replace", event_id: "$old" },
  });
});

test("a file is m.image or m.file; its body is the caption, else its name", () => {
  const file = { path: "/x", name: "map.png", mimeType: "image/png", size: 12 };
  const image = fileContent(file, "mxc://fake/1", undefined);
  assert.deepEqual(image, {
    msgtype: "m.image",
    body: "map.png",
    filename: "map.png",
    url: "mxc://fake/1",
    info: { mimetype: "image/png", size: 12 },
  });
  const pdf = fileContent(
    { ...file, name: "a.pdf", mimeType: "application/pdf" },
    "mxc://f/2",
    "see _this_",
  );
  assert.equal(pdf.msgtype, "m.file");
  assert.equal(pdf.body, "see this");
  assert.equal(pdf.filename, "a.pdf");
});

test("a reaction annotates the event", () => {
  assert.deepEqual(reactionContent("$e", "👀"), {
    "m.relates_to": { rel_type: "m.annotation", event_id: "$e", key: "👀" },
  });
});
