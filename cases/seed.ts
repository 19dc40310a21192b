/**
 * Sources shared by several components' targets: the seed's sentences (quoted in docs/reference.md section 1,
 * with the original test files' numbers) that more than one component is judged by.
 */

/** Prefix of a target's source that quotes the seed. */
export const SEED = 'seed: '

/** The seed's error-rate sentence (gateway and load cases). */
export const ERROR_RATE = `${SEED}"Error Rate: <5% error rate"`
