// The pure parts of ask_user: checking a question and its choices, the ids a button
// carries, the numbered text for platforms without buttons, the text a closed question
// reads, and reading a typed answer.

export const MIN_CHOICES = 2;
export const MAX_CHOICES = 5;
/** Fits every platform's button: Slack allows 75 characters, Discord 80. */
export const MAX_CHOICE_CHARS = 50;
export const MAX_QUESTION_CHARS = 1000;

export interface Question {
  /** Random and short: Telegram's callback_data holds at most 64 bytes. */
  id: string;
  text: string;
  choices: string[];
}

/** A button's id: the question's id and the choice's position (0-based). */
export function choiceId(questionId: string, index: number): string {
  return `ask:${questionId}:${index}`;
}

export function parseChoiceId(id: string): { questionId: string; index: number } | undefined {
  const match = /^ask:([A-Za-z0-9]{1,32}):(\d)$/.exec(id);
  return match ? { questionId: match[1]!, index: Number(match[2]) } : undefined;
}

function normalized(text: string): string {
  return text.trim().replace(/\s+/g, " ").toLowerCase();
}

/** The question and choices as the model gave them, trimmed, or what is wrong with them. */
export function checkQuestion(
  question: string,
  choices: string[],
): { text: string; choices: string[] } | { error: string } {
  const text = question.trim();
  if (!text) return { error: "The question is empty: write what you want to ask." };
  if (text.length > MAX_QUESTION_CHARS)
    return {
      error: `The question is ${text.length} characters long; keep it under ${MAX_QUESTION_CHARS}.`,
    };
  const labels = choices.map((choice) => choice.trim().replace(/\s+/g, " "));
  if (labels.length < MIN_CHOICES)
    return {
      error: `Give between ${MIN_CHOICES} and ${MAX_CHOICES} choices; you gave ${labels.length}. For an open question, just write it as a message.`,
    };
  if (labels.length > MAX_CHOICES)
    return {
      error: `Give at most ${MAX_CHOICES} choices; you gave ${labels.length}. Narrow them down or ask in a message.`,
    };
  for (const [index, label] of labels.entries()) {
    if (!label) return { error: `Choice ${index + 1} is empty.` };
    if (label.length > MAX_CHOICE_CHARS)
      return {
        error: `Choice ${index + 1} ("${label.slice(0, 20)}…") is ${label.length} characters long; a button holds at most ${MAX_CHOICE_CHARS}.`,
      };
  }
  const seen = new Set<string>();
  for (const label of labels) {
    if (seen.has(normalized(label)))
      return { error: `The choice "${label}" is there twice; each choice must differ.` };
    seen.add(normalized(label));
  }
  return { text, choices: labels };
}

/** The question as text, for platforms without buttons and for the stored transcript. */
export function numberedText(question: Pick<Question, "text" | "choices">): string {
  const lines = question.choices.map((choice, index) => `${index + 1}. ${choice}`);
  return `${question.text}\n\n${lines.join("\n")}\n\nReply with a number or a choice.`;
}

/**
 * What a question's message says once it is over, as Markdown that each platform renders
 * like a reply: the question as the agent wrote it, then the answer (a label and a sender's
 * name, plain text: a name like "__init__" must not turn bold) or "(no answer)".
 */
export function closedText(question: string, answer: string | null): string {
  const outcome = answer === null ? "(no answer)" : `✓ ${answer.replace(/[\\`*_~[\]|]/g, "\\$&")}`;
  return `${question}\n\n${outcome}`;
}

/**
 * The choice a typed message picks, if it picks one: its number ("2", "2.") or its text,
 * whatever the case and spacing, as the whole message or as its last paragraph (a mail
 * reaches the agent as "Subject: …", a blank line, then the body). A number is a
 * position first.
 */
export function typedChoice(choices: string[], typed: string): number | undefined {
  const whole = choiceIn(choices, typed);
  if (whole !== undefined) return whole;
  const paragraphs = typed.trim().split(/\n\s*\n/);
  return paragraphs.length > 1 ? choiceIn(choices, paragraphs.at(-1)!) : undefined;
}

function choiceIn(choices: string[], typed: string): number | undefined {
  const number = /^\s*(\d{1,2})[.)]?\s*$/.exec(typed)?.[1];
  if (number !== undefined) {
    const index = Number(number) - 1;
    return index >= 0 && index < choices.length ? index : undefined;
  }
  const wanted = normalized(typed).replace(/[.!]+$/, "");
  const index = choices.findIndex((choice) => normalized(choice) === wanted);
  return index === -1 ? undefined : index;
}
