// Waiting on state (a file, a count, a process gone), never on the clock: `ms` only bounds a hang, and is generous
// because a loaded 2-core machine is slow, never wrong.
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor(what: string, cond: () => boolean, ms = 45_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
