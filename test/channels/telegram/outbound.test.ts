// What the Telegram adapter sends: HTML pieces, a topic, a keyboard, a photo or a document.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  captionOptions,
  choicesKeyboard,
  htmlPieces,
  replyOptions,
  sendsAsPhoto,
} from "../../../src/channels/telegram/outbound.ts";
import { TELEGRAM_PHOTO_MAX_BYTES } from "../../../src/channels/file-limits.ts";

test("a reply is rendered HTML pieces under Telegram's limit, empty ones left out", () => {
  assert.deepEqual(htmlPieces("**hi**"), [{ source: "**hi**", html: "<b>hi</b>" }]);
  const long = htmlPieces(`${"word ".repeat(1000)}\n\n${"more ".repeat(1000)}`);
  assert.ok(long.length >= 2);
  assert.ok(long.every(({ html }) => html.length <= 4096));
  assert.deepEqual(htmlPieces("   "), []);
});

test("a threaded reply goes to its topic; a question gets one button per row", () => {
  assert.deepEqual(replyOptions({}), {});
  assert.deepEqual(replyOptions({ threadId: "12" }), { message_thread_id: 12 });
  assert.deepEqual(
    choicesKeyboard([
      { id: "a", label: "Tea" },
      { id: "b", label: "Coffee" },
    ]),
    {
      reply_markup: {
        inline_keyboard: [
          [{ text: "Tea", callback_data: "a" }],
          [{ text: "Coffee", callback_data: "b" }],
        ],
      },
    },
  );
});

test("a plain image within the photo limit goes as a photo; a GIF or a large one as a document", () => {
  const file = { path: "/x", name: "a.png", mimeType: "image/png", size: 10 };
  assert.equal(sendsAsPhoto(file), true);
  assert.equal(sendsAsPhoto({ ...file, mimeType: "image/gif" }), false);
  assert.equal(sendsAsPhoto({ ...file, size: TELEGRAM_PHOTO_MAX_BYTES + 1 }), false);
  assert.equal(sendsAsPhoto({ ...file, mimeType: "application/pdf" }), false);
  assert.deepEqual(captionOptions(undefined), {});
  assert.deepEqual(captionOptions("**map**"), { caption: "<b>map</b>", parse_mode: "HTML" });
});
