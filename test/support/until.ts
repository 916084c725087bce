/** Polls `probe` every 250 ms until `ok` holds for its value; past `ms`, fails naming what it waited for and the last value. */
export async function until<T>(what: string, probe: () => T | Promise<T>, ok: (v: T) => boolean, ms = 60000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
