/**
 * One seeded PRNG for the whole engine: xoshiro128** (Blackman & Vigna), seeded through splitmix32.
 * Its entire state is four uint32s, so a checkpoint can save it and a resumed run continues the
 * exact same sequence. Nothing here caches values between calls (normal() draws a fresh pair each
 * time) so the state alone determines every future draw.
 */

/** The four uint32 words of xoshiro128** state; never all zero. */
export type RngState = readonly [number, number, number, number];

const TWO_POW_32 = 4294967296;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** splitmix32 step: maps a counter to a well-mixed uint32 (used only for seeding). */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

export class Rng {
  #s0 = 0;
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;

  /**
   * @param seed any number; it is reduced to a uint32 (`seed >>> 0`), so 1 and 1.5 give the same stream.
   */
  constructor(seed: number) {
    let x = seed >>> 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      words.push(splitmix32(x));
    }
    if (!words.some((w) => w !== 0)) words[0] = 1; // all-zero is xoshiro's one fixed point
    [this.#s0, this.#s1, this.#s2, this.#s3] = words;
  }

  /**
   * Rebuilds a generator from `state()`. Throws RangeError when the words are not uint32s or all
   * zero (a caller restoring from a checkpoint should turn that into CorruptCheckpointError).
   */
  static fromState(s: RngState): Rng {
    if (!Array.isArray(s as unknown) || s.length !== 4) throw new RangeError('RNG state must be 4 uint32 words');
    for (const w of s) {
      if (!Number.isInteger(w) || w < 0 || w >= TWO_POW_32) {
        throw new RangeError(`RNG state word ${String(w)} is not a uint32`);
      }
    }
    if (!s.some((w) => w !== 0)) throw new RangeError('RNG state must not be all zero');
    const rng = new Rng(0);
    [rng.#s0, rng.#s1, rng.#s2, rng.#s3] = s;
    return rng;
  }

  /** A copy of the full state, as uint32s; plain data, safe to structured-clone or JSON-encode. */
  state(): RngState {
    return [this.#s0 >>> 0, this.#s1 >>> 0, this.#s2 >>> 0, this.#s3 >>> 0];
  }

  /** Next uint32 in [0, 2^32). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** Uniform in [0, 1), with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Standard normal (Box–Muller). Uses two uniforms per call and keeps no spare. */
  normal(): number {
    const u1 = 1 - this.next(); // (0, 1], so the log is finite
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /**
   * Uniform integer in [0, n), without modulo bias (rejection sampling).
   * @param n an integer in [1, 2^32]
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) throw new RangeError(`int(n) needs an integer n in [1, 2^32], got ${n}`);
    const limit = TWO_POW_32 - (TWO_POW_32 % n); // largest multiple of n not above 2^32
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }
}

/** A uniformly random permutation of 0..n-1 (Fisher–Yates), drawing n-1 values from `rng`. */
export function permutation(rng: Rng, n: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  shuffleInPlace(rng, p);
  return p;
}

/** Fisher–Yates shuffle of `a` in place; same draws as permutation() for the same length. */
export function shuffleInPlace(rng: Rng, a: Int32Array | number[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
