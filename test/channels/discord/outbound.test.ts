// The bodies the Discord adapter posts: only user mentions ping, a question carries one
// button per choice, a file its caption, a closed question no buttons.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ButtonStyle, ComponentType } from "discord.js";
import {
  choicesBody,
  closedChoicesBody,
  fileBody,
  textBody,
} from "../../../src/channels/discord/outbound.ts";

const users = { parse: ["users"], replied_user: true };

test("a reply pings users only", () => {
  assert.deepEqual(textBody("@everyone hi"), { content: "@everyone hi", allowed_mentions: users });
});

test("a question has one button per choice in one row", () => {
  const body = choicesBody("Tea or coffee?", [
    { id: "q1:0", label: "Tea" },
    { id: "q1:1", label: "Coffee" },
  ]);
  assert.equal(body.content, "Tea or coffee?");
  assert.deepEqual(body.allowed_mentions, users);
  assert.deepEqual(body.components, [
    {
      type: ComponentType.ActionRow,
      components: [
        {
          type: ComponentType.Button,
          style: ButtonStyle.Secondary,
          label: "Tea",
          custom_id: "q1:0",
        },
        {
          type: ComponentType.Button,
          style: ButtonStyle.Secondary,
          label: "Coffee",
          custom_id: "q1:1",
        },
      ],
    },
  ]);
});

test("a file names its attachment; a closed question loses its buttons", () => {
  assert.deepEqual(fileBody("map.png", undefined), {
    content: "",
    allowed_mentions: users,
    attachments: [{ id: 0, filename: "map.png" }],
  });
  assert.equal(fileBody("map.png", "the map").content, "the map");
  assert.deepEqual(closedChoicesBody(null), { components: [] });
  assert.deepEqual(closedChoicesBody("Tea it is."), { content: "Tea it is.", components: [] });
});
