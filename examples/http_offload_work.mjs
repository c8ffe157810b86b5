// Copyright 2026 the @concurrent/futures authors. MIT license.
// The CPU step of examples/http_offload.ts: key stretching (as a password
// hash does), about 1 ms per call at the default rounds. Plain JavaScript
// with JSDoc types, so that the Node.js + piscina contender of
// bench/http_bench.ts runs exactly the same code.

/** Rounds for about 1 ms of work per call on a current x86-64 core. */
export const ROUNDS = 30000;

/**
 * Stretches `key` through `rounds` rounds of 32-bit mixing over a 512-bit
 * state (murmur3's finaliser on each word) and returns the state in hex.
 *
 * @param {string} key The input (a password, a token, ...).
 * @param {number} rounds How many rounds; the cost grows linearly.
 * @returns {string} 128 hex digits.
 */
export function stretch(key, rounds) {
  const state = new Int32Array(16);
  for (let i = 0; i < key.length; i++) {
    state[i & 15] = Math.imul(state[i & 15] ^ key.charCodeAt(i), 0x01000193);
  }
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < 16; i++) {
      let x = state[i] ^ state[(i + 1) & 15] ^ round;
      x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
      x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
      state[i] = x ^ (x >>> 16);
    }
  }
  let hex = "";
  for (let i = 0; i < 16; i++) {
    hex += (state[i] >>> 0).toString(16).padStart(8, "0");
  }
  return hex;
}
