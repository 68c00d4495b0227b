// An auth directory as a finished pairing leaves it: fresh keys, our own number (and LID)
// as creds.me, and the registered flag. Used where a server cannot run the pairing itself
// (crabline, see crabline.ts) and by adapter tests that start from a linked device.
import { useAtomicAuthState } from "../../../src/channels/whatsapp/auth-state.ts";

export async function seedLinkedDevice(
  authDir: string,
  selfJid: string,
  lid?: string,
): Promise<void> {
  const auth = await useAtomicAuthState(authDir);
  auth.state.creds.me = { id: selfJid, name: "Pincer", ...(lid ? { lid } : {}) };
  auth.state.creds.registered = true;
  await auth.saveCreds();
  await auth.flush();
}
