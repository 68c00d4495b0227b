import assert from "node:assert/strict";
import { test } from "node:test";
import { extensionFor, isPlainImage, mimeTypeFor } from "../../src/channels/mime.ts";

test("a sent file's type comes from its extension, case aside", () => {
  assert.equal(mimeTypeFor("chart.PNG"), "image/png");
  assert.equal(mimeTypeFor("photo.jpeg"), "image/jpeg");
  assert.equal(mimeTypeFor("report.pdf"), "application/pdf");
  assert.equal(mimeTypeFor("notes.docx").startsWith("application/vnd.openxmlformats"), true);
});

test("an unknown or missing extension is an opaque type", () => {
  assert.equal(mimeTypeFor("data.xyz"), "application/octet-stream");
  assert.equal(mimeTypeFor("Makefile"), "application/octet-stream");
  assert.equal(mimeTypeFor(".bashrc"), "application/octet-stream");
});

test("received media are saved with their type's extension", () => {
  assert.equal(extensionFor("image/jpeg; charset=binary"), "jpg");
  assert.equal(extensionFor(undefined), "bin");
});

test("only plain raster images count as inline images (never SVG or HTML)", () => {
  assert.equal(isPlainImage("image/png"), true);
  assert.equal(isPlainImage("image/webp"), true);
  assert.equal(isPlainImage("image/svg+xml"), false);
  assert.equal(isPlainImage("text/html"), false);
});
