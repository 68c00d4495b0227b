// Markdown to WhatsApp's markup: "> " quotes and "- " lists ("* " would read as the start
// of bold). WhatsApp has no labelled links and no escapes, so a link becomes
// "label (url)" and everything else is plain text.
import { markdownToStarMarkup, type StarDialect } from "../star-markup.ts";

const WHATSAPP: StarDialect = {
  escape: (text) => text,
  link: (url, label) =>
    label === "" || label === url || `mailto:${label}` === url ? url : `${label} (${url})`,
  quote: ">",
  bullet: "-",
};

export function markdownToWhatsApp(markdown: string): string {
  return markdownToStarMarkup(WHATSAPP, markdown);
}
