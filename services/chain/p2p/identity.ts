/**
 * A validator's network identity is its chain key: the libp2p peer id is derived from the same Ed25519 seed
 * as the node's signer, so a node id (the hex public key the chain knows) names exactly one peer, and the
 * sender of every message is authenticated by the connection's Noise handshake and gossipsub's signature
 * rather than claimed in the message. (Lodestar keeps a separate secp256k1 peer key because Ethereum's
 * validators are not its peers; here they are.)
 */
import { generateKeyPairFromSeed, publicKeyFromRaw } from '@libp2p/crypto/keys'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { fromHex, toHex } from '../../common/hash.ts'

/** The libp2p private key of the node whose chain signer is `ed25519Signer(seed)`. */
export async function peerKey(seed: Uint8Array): Promise<PrivateKey> {
  return await generateKeyPairFromSeed('Ed25519', seed)
}

/** The peer id of chain node `nodeId` (its hex Ed25519 public key). */
export function peerIdOf(nodeId: string): PeerId {
  return peerIdFromPublicKey(publicKeyFromRaw(fromHex(nodeId)))
}

/** The chain node id (hex Ed25519 public key) of `peer`, or undefined when its key is not Ed25519. */
export function nodeIdOf(peer: PeerId): string | undefined {
  return peer.type === 'Ed25519' ? toHex(peer.publicKey.raw) : undefined
}
