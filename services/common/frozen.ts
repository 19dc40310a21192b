/**
 * Shared read-only values: parse a message's text once and let every receiver in the process read the same
 * deep-frozen object, and remember what was derived from such an object (a hash, a length) by its identity.
 *
 * Why it is sound: a value registered here was deep-frozen before anyone saw it, so no field of it, at any
 * depth, can change afterwards (a write throws a TypeError in strict code: the ES modules here are all
 * strict), and anything computed from it by a pure function stays true of it. parseFrozen keys its cache by
 * the exact text, so a hit is JSON.parse of that very text: nothing a sender controls can make two different
 * texts share an entry. What callers lose is only the freedom to mutate what they received, which a node must
 * not do anyway (its messages are its peers' words).
 *
 * Why it pays: in one process (the simulator's hundred nodes, an in-process devnet) a broadcast delivers the
 * same string to every receiver; without this each one parses it and re-hashes the block inside.
 */

/** Every object registered as deep-frozen (itself and everything under it is frozen). */
const SHARED = new WeakSet<object>()

/** Freezes `v` and every object and array under it, registers them as shared, and returns `v`. */
export function deepFreeze<T>(v: T): T {
  if (v === null || typeof v !== 'object' || SHARED.has(v as object)) return v
  const o = v as unknown as object
  if (Array.isArray(o)) for (const x of o) deepFreeze(x)
  else for (const k of Object.keys(o)) deepFreeze((o as Record<string, unknown>)[k])
  Object.freeze(o)
  SHARED.add(o)
  return v
}

/** True when `v` is an object deepFreeze registered: it can never change. */
export function isShared(v: unknown): v is object {
  return v !== null && typeof v === 'object' && SHARED.has(v)
}

/**
 * `compute(v)`, remembered in `memo` by the identity of `v` when `v` is shared (deep-frozen), computed afresh
 * otherwise (a mutable object could change after the fact). `compute` must be a pure function of `v`.
 */
export function memoShared<K extends object, T>(memo: WeakMap<K, T>, v: K, compute: (v: K) => T): T {
  if (!SHARED.has(v)) return compute(v)
  const hit = memo.get(v)
  if (hit !== undefined) return hit
  const out = compute(v)
  memo.set(v, out)
  return out
}

const PARSED = new Map<string, unknown>()
/** Texts remembered (the oldest goes first): more than a hundred-node network has in flight at once; kept small, since what it holds survives young-generation collections. */
const PARSED_LIMIT = 256

/**
 * JSON.parse(text), deep-frozen, and the same object for the same text while it is remembered (the latest
 * PARSED_LIMIT texts). Throws JSON.parse's SyntaxError for text that is not JSON (and remembers nothing).
 */
export function parseFrozen(text: string): unknown {
  const hit = PARSED.get(text)
  if (hit !== undefined) return hit
  const v = deepFreeze(JSON.parse(text) as unknown)
  if (PARSED.size >= PARSED_LIMIT) PARSED.delete(PARSED.keys().next().value as string)
  PARSED.set(text, v)
  return v
}
