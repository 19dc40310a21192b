/**
 * Promise.withResolvers (ES2024) for Node 20, which lacks it. libp2p 2.x's peer store locks through mortice
 * 3.3, whose queue calls it on every peer-store write; the mortice that did not (3.0) no longer fits the peer
 * store libp2p 2.10 requires. The shape is the standard one, so on Node 22 and later this does nothing.
 * libp2p 3.x needs it too (and more of Node 22), which is why this project runs libp2p 2.x (docs/scale.md).
 */
interface Resolvers<T> {
  promise: Promise<T>
  resolve: (value: T | PromiseLike<T>) => void
  reject: (reason?: unknown) => void
}

const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> }
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = <T>(): Resolvers<T> => {
    let resolve!: Resolvers<T>['resolve']
    let reject!: Resolvers<T>['reject']
    const promise = new Promise<T>((res, rej) => {
      resolve = res
      reject = rej
    })
    return { promise, resolve, reject }
  }
}
