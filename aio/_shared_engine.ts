// Copyright 2026 the @concurrent/futures authors. MIT license.
// One kernel engine (an io_uring ring, a kernel AIO context) shared by every
// file a backend opens: made by the first open, closed when the last file
// has closed, so that an idle program holds nothing.

/** A lazily made, reference-counted engine. */
export class SharedEngine<T extends { close(): Promise<void> }> {
  #make: () => T;
  #engine: T | undefined;
  #users = 0;

  /** @param make Makes the engine (may throw; nothing is counted then). */
  constructor(make: () => T) {
    this.#make = make;
  }

  /** The engine, made if there is none; each call needs one `release`. */
  acquire(): T {
    this.#engine ??= this.#make();
    this.#users++;
    return this.#engine;
  }

  /** Gives back what `acquire` gave; the last user closes the engine. */
  async release(engine: T): Promise<void> {
    if (this.#engine !== engine || --this.#users > 0) return;
    this.#engine = undefined;
    await engine.close();
  }
}
